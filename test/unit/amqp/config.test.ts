import { describe, expect, it } from "vitest";
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
    const config = parseMeshClientConfig({
      urls: ["amqps://alice:pw-in-url@edge:5671", "amqps://edge-b"],
      tls: {
        key: "-----BEGIN PRIVATE KEY-----\nsecret-key\n-----END PRIVATE KEY-----",
        cert: "/etc/certs/client.pem",
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
    expect(text).toContain("/etc/certs/client.pem");
    expect(redactUrl("amqp://bob@h")).toBe("amqp://bob@h");
  });

  it("the config key is stable and changes with any secret", () => {
    const base = {
      urls: ["amqp://h"],
      sasl: { mechanism: "PLAIN" as const, username: "u", password: "a" },
    };
    const key = configKey(parseMeshClientConfig(base));
    expect(configKey(parseMeshClientConfig({ ...base }))).toBe(key);
    expect(
      configKey(parseMeshClientConfig({ ...base, sasl: { ...base.sasl, password: "b" } })),
    ).not.toBe(key);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
  });
});
