/**
 * Secrets through a real connection attempt, fuzzed: a router that refuses the password
 * (SASL PLAIN), or a key that cannot be loaded. Whatever the secret holds, no part of it
 * reaches the error, the log lines, or the client printed as JSON or with inspect. Oracle:
 * the same attempt with a look-alike secret (test/unit/amqp/secret-leaks.ts).
 */
import { existsSync } from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MeshClient, type MeshClientConfigInput } from "../../../shared/amqp/index.ts";
import {
  encodeOrUndefined,
  leakedPieces,
  lookAlike,
  printed,
  secretArbitrary,
} from "../../unit/amqp/secret-leaks.ts";
import { logCollector } from "./helpers.ts";
import { TestPeer } from "./peer.ts";

let peer: TestPeer;
beforeAll(async () => {
  peer = await TestPeer.start({ users: { alice: "the-right-one" } });
});
afterAll(() => peer.stop());

/** Everything a failed publish leaves printed: the error, the log lines, the client. */
async function attempt(config: MeshClientConfigInput): Promise<string> {
  const { lines, log } = logCollector();
  const client = new MeshClient(config, { log });
  try {
    const error = await client.publish("a", { body: 1 }, { deadline: 5_000 }).catch((e) => e);
    return [printed(error), ...lines, printed(client)].join("\n");
  } finally {
    await client.close(50);
  }
}

function namesAFile(value: string): boolean {
  try {
    return existsSync(value);
  } catch {
    return false;
  }
}

const once = { initialDelayMs: 1, maxDelayMs: 1, maxAttempts: 1 };

const configs: Record<string, (secret: string) => MeshClientConfigInput | undefined> = {
  "password in the url": (s) => {
    const encoded = encodeOrUndefined(s);
    return encoded === undefined
      ? undefined
      : { urls: [peer.url.replace("//", `//alice:${encoded}@`)], reconnect: once };
  },
  "sasl password": (s) => ({
    urls: [peer.url],
    sasl: { mechanism: "PLAIN", username: "alice", password: s },
    reconnect: once,
  }),
  "key without its -----BEGIN line": (s) =>
    namesAFile(s)
      ? undefined
      : {
          urls: [peer.url.replace("amqp:", "amqps:")],
          tls: { key: s, passphrase: s, rejectUnauthorized: true },
          reconnect: once,
        },
};

describe("secrets through a failed connection", () => {
  it.each(Object.keys(configs))("%s: never in the error, the logs or the client", async (name) => {
    const configFor = configs[name]!;
    await fc.assert(
      fc.asyncProperty(secretArbitrary, async (secret) => {
        const config = configFor(secret);
        const reference = configFor(lookAlike(secret));
        fc.pre(config !== undefined && reference !== undefined);
        const output = await attempt(config!);
        const referenceOutput = await attempt(reference!);
        expect(output).toContain("ConnectionFailedError");
        expect(leakedPieces(secret, output, referenceOutput), output).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });
});
