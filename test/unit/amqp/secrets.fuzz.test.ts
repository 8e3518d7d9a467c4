/**
 * Every redaction of the client, fuzzed with secrets of every character class (printable
 * ASCII with @ : / ? # % and space, unicode, control characters): no part of the secret may
 * reach an error (message, String(), JSON, inspect, stack), a redacted config or a url.
 * The oracle (secret-leaks.ts) is a second run with a look-alike secret: a piece of the secret
 * that shows up in the output but not in the look-alike run's output has leaked.
 */
import { existsSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadPem } from "../../../shared/amqp/config.ts";
import {
  type MeshClientConfigInput,
  parseMeshClientConfig,
  redactConfig,
  redactUrl,
} from "../../../shared/amqp/index.ts";
import {
  encodeOrUndefined,
  leakedPieces,
  lookAlike,
  outcome,
  secretArbitrary,
} from "./secret-leaks.ts";

function namesAFile(value: string): boolean {
  try {
    return existsSync(value);
  } catch {
    return false;
  }
}

function expectNoLeak(secret: string, run: (secret: string) => unknown): void {
  const output = outcome(() => run(secret));
  const reference = outcome(() => run(lookAlike(secret)));
  expect(leakedPieces(secret, output, reference), output).toEqual([]);
}

describe("secrets never leak through redaction or errors", () => {
  it("redactUrl: a url with the password percent-encoded prints as user:***@host:port", () => {
    fc.assert(
      fc.property(secretArbitrary, (secret) => {
        const encoded = encodeOrUndefined(secret);
        fc.pre(encoded !== undefined);
        const url = `amqps://alice:${encoded}@edge.example:5671`;
        expect(redactUrl(url)).toBe("amqps://alice:***@edge.example:5671");
      }),
      { numRuns: 1_000 },
    );
  });

  it("redactUrl: a password pasted unencoded never shows, whatever it holds", () => {
    fc.assert(
      fc.property(secretArbitrary, (secret) => {
        expectNoLeak(secret, (s) => redactUrl(`amqps://alice:${s}@edge.example:5671`));
        expectNoLeak(secret, (s) => redactUrl(`amqp://bob:${s}@edge.example/vhost?x=1`));
        expectNoLeak(secret, (s) => redactUrl(`amqp://:${s}@10.0.0.1`));
      }),
      { numRuns: 1_000 },
    );
  });

  it("redactConfig and parse errors: sasl password, url password, passphrase, inline key", () => {
    const configWith = (s: string, broken: boolean, bare: boolean): MeshClientConfigInput => ({
      urls: [
        `amqps://alice:${encodeOrUndefined(s) ?? "x"}@edge.example:5671`,
        `amqps://bob:${s}@edge-b`,
      ],
      sasl: { mechanism: "PLAIN", username: "alice", password: s },
      tls: {
        passphrase: s,
        // A key given inline without its -----BEGIN line looks like a path.
        key: bare ? s : `-----BEGIN PRIVATE KEY-----\n${s}\n-----END PRIVATE KEY-----`,
        cert: `-----BEGIN CERTIFICATE-----\n${s}\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n${s}\n-----END PRIVATE KEY-----`,
        rejectUnauthorized: true,
      },
      ...(broken ? { idleTimeoutMs: -1 } : {}),
    });
    fc.assert(
      fc.property(secretArbitrary, fc.boolean(), fc.boolean(), (secret, broken, bare) => {
        // A value that names an existing file is shown on purpose (it is a path, not a key).
        fc.pre(!bare || !namesAFile(secret));
        const run = (s: string) => redactConfig(parseMeshClientConfig(configWith(s, broken, bare)));
        expectNoLeak(secret, run);
      }),
      { numRuns: 500 },
    );
  });

  it("parse errors: a secret in the wrong place is never echoed", () => {
    const places: Array<(s: string) => unknown> = [
      (s) => ({ urls: [s] }),
      (s) => ({ urls: s }),
      (s) => ({ urls: ["amqp://h"], sasl: { mechanism: s } }),
      (s) => ({ urls: ["amqp://h"], sasl: { mechanism: "PLAIN", username: s } }),
      (s) => ({ urls: ["amqp://h"], sasl: { mechanism: "PLAIN", password: s } }),
      (s) => ({ urls: ["amqp://h"], tls: { key: s, rejectUnauthorized: s } }),
      (s) => ({ urls: ["amqp://h"], idleTimeoutMs: s, publishDeadlineMs: s }),
      (s) => ({ urls: [`amqp://u:${s}@h/${s}?${s}#${s}`] }),
    ];
    fc.assert(
      fc.property(secretArbitrary, fc.constantFrom(...places), (secret, place) => {
        expectNoLeak(secret, (s) => redactConfig(parseMeshClientConfig(place(s))));
      }),
      { numRuns: 1_000 },
    );
  });

  it("loadPem: a key given inline without its -----BEGIN line is never echoed", () => {
    fc.assert(
      fc.property(secretArbitrary, fc.constantFrom("key", "cert", "ca"), (secret, what) => {
        // A value that names an existing file is shown on purpose (it is a path, not a key).
        fc.pre(!namesAFile(secret));
        expectNoLeak(secret, (s) => loadPem(s, what));
      }),
      { numRuns: 1_000 },
    );
  });
});
