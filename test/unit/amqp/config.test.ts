import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadPem } from "../../../shared/amqp/config.ts";
import {
  ConfigError,
  configKey,
  parseMeshClientConfig,
  redactConfig,
  redactUrl,
} from "../../../shared/amqp/index.ts";

describe("client config", () => {
  it("applies defaults", () => {
    const config = parseMeshClientConfig({ urls: ["amqp://edge-a:5672"] });
    expect(config).toMatchObject({
      sasl: { mechanism: "ANONYMOUS" },
      idleTimeoutMs: 16_000,
      reconnect: { initialDelayMs: 100, maxDelayMs: 10_000 },
      publishDeadlineMs: 30_000,
    });
  });

  it("lists every problem with its path, never the values", () => {
    const error = (() => {
      try {
        parseMeshClientConfig({
          urls: ["http://x", "amqp://u:hunter2@h"],
          sasl: { mechanism: "PLAIN", username: "u" },
          idleTimeoutMs: -1,
        });
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe("config-invalid");
    expect(error.issues.join("\n")).toMatch(/urls\.0: must be an amqp/);
    expect(error.issues.join("\n")).toMatch(/sasl: PLAIN needs username and password/);
    expect(error.issues.join("\n")).toMatch(/idleTimeoutMs/);
    expect(error.message).not.toContain("hunter2");
  });

  it("EXTERNAL needs a client certificate", () => {
    expect(() =>
      parseMeshClientConfig({ urls: ["amqps://h"], sasl: { mechanism: "EXTERNAL" } }),
    ).toThrow(/EXTERNAL needs tls.cert and tls.key/);
  });

  it("redacts passwords, passphrases, inline keys and url passwords", () => {
    const existingPath = fileURLToPath(import.meta.url);
    const config = parseMeshClientConfig({
      urls: ["amqps://alice:pw-in-url@edge:5671", "amqps://edge-b"],
      tls: {
        key: "-----BEGIN PRIVATE KEY-----\nsecret-key\n-----END PRIVATE KEY-----",
        cert: existingPath,
        passphrase: "pass-phrase",
        rejectUnauthorized: true,
      },
      sasl: { mechanism: "PLAIN", username: "alice", password: "pw-sasl" },
    });
    const text = JSON.stringify(redactConfig(config));
    for (const secret of ["pw-in-url", "secret-key", "pass-phrase", "pw-sasl"]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain("alice:***@edge:5671");
    // A path to a file that exists is a path, not key material: shown.
    expect(text).toContain(JSON.stringify(existingPath));
    expect(redactUrl("amqp://bob@h")).toBe("amqp://bob@h");
  });

  it("a key given inline without its -----BEGIN line, or a certificate bundle with its key, is hidden", () => {
    const bareKey = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC";
    const bundle = `-----BEGIN CERTIFICATE-----\ncert\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n${bareKey}\n-----END PRIVATE KEY-----`;
    const config = parseMeshClientConfig({
      urls: ["amqps://edge"],
      tls: { key: bareKey, cert: bundle, ca: "/no/such/ca.pem", rejectUnauthorized: true },
    });
    const redacted = redactConfig(config);
    expect(JSON.stringify(redacted)).not.toContain(bareKey);
    expect(redacted.tls).toMatchObject({ key: "***", cert: "***", ca: "***" });
    const error = (() => {
      try {
        loadPem(bareKey, "key");
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toContain("tls.key");
    expect(error?.message).toContain("no -----BEGIN line");
    expect(error?.message).not.toContain(bareKey);
  });

  it.each([
    [
      "a password with @ (the last @ ends the user info)",
      "amqp://u:p@ss@host:5672",
      "amqp://u:***@host:5672",
    ],
    ["a password with a percent-encoded /", "amqps://u:a%2Fb@host", "amqps://u:***@host"],
    ["a password with an unencoded / (split off by the parser)", "amqp://u:12/ss@host", undefined],
    ["a password with an unencoded #", "amqp://u:1#ss@host", undefined],
    ["a query", "amqp://host:5672/?password=hunter2", undefined],
    ["no url at all", "u:hunter2@host", undefined],
  ])("redactUrl: %s", (_name, url, expected) => {
    const redacted = redactUrl(url);
    if (expected !== undefined) expect(redacted).toBe(expected);
    else expect(redacted).toMatch(/^(amqps?:\/\/)?\(url not shown/);
    for (const secret of ["p@ss", "a%2Fb", "12/ss", "1#ss", "hunter2", "ss@host"]) {
      expect(redacted).not.toContain(secret);
    }
  });

  it.each([
    ["an unencoded / in the password", "amqp://u:12/ss@host", "nothing after the port"],
    ["a path", "amqp://host/vhost", "nothing after the port"],
    ["a query", "amqp://host?x=1", "nothing after the port"],
    ["a tab in the password (the parser drops it)", "amqp://u:pa\tss@host", "control characters"],
    ["a malformed percent-escape", "amqp://u:%zz@host", "malformed percent-escape"],
    ["another scheme", "http://host", "amqp:// or amqps://"],
    ["no host", "amqp://", "must name a host"],
    ["a port out of range", "amqp://u:hunter2@host:99999", "not a valid url"],
  ])("refuses a url with %s, without echoing it", (_name, url, problem) => {
    let error: unknown;
    try {
      parseMeshClientConfig({ urls: [url] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]).toContain("urls.0");
    expect((error as ConfigError).message).toContain(problem);
    expect((error as ConfigError).message).not.toContain(url);
  });

  it("the config key is stable and changes with any secret", () => {
    const base = {
      urls: ["amqp://127.0.0.1"],
      sasl: { mechanism: "PLAIN" as const, username: "u", password: "a" },
    };
    const key = configKey(parseMeshClientConfig(base));
    expect(configKey(parseMeshClientConfig({ ...base }))).toBe(key);
    expect(
      configKey(parseMeshClientConfig({ ...base, sasl: { ...base.sasl, password: "b" } })),
    ).not.toBe(key);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the config key does not depend on the input's key order, at any depth", () => {
    const input: Record<string, unknown> = {
      urls: ["amqps://a.example:5671", "amqps://b.example:5671"],
      sasl: { mechanism: "PLAIN", username: "u", password: "p" },
      tls: { ca: "ca.pem", servername: "router", rejectUnauthorized: true },
      reconnect: { initialDelayMs: 50, maxDelayMs: 2_000, maxAttempts: 3 },
      senders: { idleTimeoutMs: 1_000, max: 8 },
      publishDeadlineMs: 5_000,
      containerId: "fn-1",
    };
    const key = configKey(parseMeshClientConfig(input));
    const reordered = (value: unknown, order: number[]): unknown => {
      if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
      const entries = Object.entries(value);
      // A permutation of the entries, drawn from the generated numbers.
      const keyed = entries.map((e, i) => [order[i % order.length]! + i / 1000, e] as const);
      keyed.sort(([a], [b]) => a - b);
      return Object.fromEntries(keyed.map(([, [k, v]]) => [k, reordered(v, order.slice(1))]));
    };
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 8 }),
        (order) => {
          expect(configKey(parseMeshClientConfig(reordered(input, order)))).toBe(key);
        },
      ),
    );
  });
});

describe("PLAIN without TLS (secure by default)", () => {
  const plain = { mechanism: "PLAIN" as const, username: "sales-api", password: "s3cr3t-pw" };
  const problemOf = (input: unknown): string => {
    try {
      parseMeshClientConfig(input);
      return "";
    } catch (error) {
      return (error as ConfigError).issues.join("\n");
    }
  };

  it("refuses to send a PLAIN password over amqp:// to a host other than loopback", () => {
    const problem = problemOf({
      urls: ["amqp://127.0.0.1:5672", "amqp://edge-a.example:5672"],
      sasl: plain,
    });
    expect(problem).toContain(
      "urls.1: PLAIN would send the password in the clear to edge-a.example",
    );
    expect(problem).not.toContain("urls.0");
    expect(problem).not.toContain("s3cr3t-pw");
  });

  it("allows it on loopback, over amqps:// or tls, and when told to", () => {
    for (const input of [
      { urls: ["amqp://127.0.0.1:5672", "amqp://localhost", "amqp://[::1]:5672"], sasl: plain },
      { urls: ["amqps://edge-a.example:5671"], sasl: plain },
      { urls: ["amqp://edge-a.example:5671"], sasl: plain, tls: {} },
      { urls: ["amqp://edge-a.example:5672"], sasl: plain, allowPlainWithoutTls: true },
      { urls: ["amqp://edge-a.example:5672"] },
    ]) {
      expect(problemOf(input)).toBe("");
    }
  });
});

describe("consumerAddresses (a broker channel's consumers on skupper-router)", () => {
  const base = { urls: ["amqp://127.0.0.1:5672"] };

  it("takes channel → address pairs and refuses an empty name on either side, naming the field", () => {
    const parsed = parseMeshClientConfig({
      ...base,
      consumerAddresses: { "billing/invoices": "_amqp-mesh/from-queue/billing/invoices" },
    });
    expect(parsed.consumerAddresses).toEqual({
      "billing/invoices": "_amqp-mesh/from-queue/billing/invoices",
    });
    for (const consumerAddresses of [{ "billing/invoices": "" }, { "": "x" }, ["x"], "x"]) {
      expect(() => parseMeshClientConfig({ ...base, consumerAddresses })).toThrow(
        /consumerAddresses/,
      );
    }
  });

  it("accepts any map of non-empty texts and refuses anything else with a ConfigError (fuzz)", () => {
    fc.assert(
      fc.property(fc.anything(), (consumerAddresses) => {
        const valid =
          consumerAddresses === undefined ||
          (typeof consumerAddresses === "object" &&
            consumerAddresses !== null &&
            !Array.isArray(consumerAddresses) &&
            Object.getPrototypeOf(consumerAddresses) === Object.prototype &&
            Object.entries(consumerAddresses).every(
              ([k, v]) => k !== "" && typeof v === "string" && v !== "",
            ));
        try {
          parseMeshClientConfig({ ...base, consumerAddresses });
          expect(valid).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect(valid).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});
