import { describe, expect, it } from "vitest";
import {
  AuthConfigError,
  CallerAuthenticator,
  hashApiKey,
  IngressConfigError,
  ingressSettingsFromEnv,
  newApiKey,
} from "../../../shared/ingress/index.ts";
import { DeployedRegistry, snapshotRegistry } from "../../../shared/registry-snapshot/index.ts";
import { exampleRegistry } from "../../integration/ingress/harness.ts";

describe("ingress settings from the environment", () => {
  it("builds the client config and auth from the variables", () => {
    const { entry } = newApiKey("sales-api");
    const settings = ingressSettingsFromEnv({
      MESH_URLS: "amqps://edge-1:5671, amqps://edge-2:5671",
      MESH_SASL_USERNAME: "sales-ingress",
      MESH_SASL_PASSWORD: "s3cret",
      MESH_TLS_CA: "/etc/mesh/ca.pem",
      INGRESS_API_KEYS: JSON.stringify([entry]),
      INGRESS_JWT_ISSUER: "https://idp/",
      INGRESS_JWT_AUDIENCE: "ingress",
      INGRESS_JWT_JWKS_URL: "https://idp/.well-known/jwks.json",
      INGRESS_JWT_MAX_AGE_SECONDS: "900",
      INGRESS_JWT_JWKS_BACKOFF_SECONDS: "10",
      INGRESS_IDENTITY_PROVIDERS: "aad, github",
      INGRESS_PUBLISH_DEADLINE_MS: "4000",
    });
    expect(settings.mesh).toMatchObject({
      urls: ["amqps://edge-1:5671", "amqps://edge-2:5671"],
      sasl: { mechanism: "PLAIN", username: "sales-ingress", password: "s3cret" },
      tls: { ca: "/etc/mesh/ca.pem", rejectUnauthorized: true },
    });
    expect(settings.auth.apiKeys).toEqual([entry]);
    expect(settings.auth.jwt).toMatchObject({
      issuer: "https://idp/",
      jwksUrl: "https://idp/.well-known/jwks.json",
      maxTokenAgeSeconds: 900,
      jwksBackoffSeconds: 10,
    });
    expect(settings.auth.platformIdentityProviders).toEqual(["aad", "github"]);
    expect(settings.publishDeadlineMs).toBe(4000);
  });

  it("names every bad variable at once and never echoes a value", () => {
    const secret = "amk_do-not-print-me";
    let message = "";
    try {
      ingressSettingsFromEnv({
        MESH_SASL_MECHANISM: "KERBEROS",
        MESH_SASL_PASSWORD: secret,
        INGRESS_API_KEYS: `[{"principal":"x","key":"${secret}"`,
        INGRESS_JWT_ISSUER: "https://idp/",
        INGRESS_JWT_MAX_AGE_SECONDS: "forever",
        INGRESS_PUBLISH_DEADLINE_MS: "soon",
      });
    } catch (error) {
      expect(error).toBeInstanceOf(IngressConfigError);
      message = (error as Error).message;
    }
    for (const name of [
      "MESH_URLS",
      "MESH_SASL_MECHANISM",
      "INGRESS_API_KEYS",
      "INGRESS_JWT_AUDIENCE",
      "INGRESS_JWT_JWKS_URL",
      "INGRESS_JWT_MAX_AGE_SECONDS",
      "INGRESS_PUBLISH_DEADLINE_MS",
    ])
      expect(message).toContain(name);
    expect(message).not.toContain(secret);
  });
});

describe("API keys", () => {
  it("are random, prefixed, and stored only as their SHA-256", () => {
    const a = newApiKey("sales-api");
    const b = newApiKey("sales-api");
    expect(a.key).toMatch(/^amk_[A-Za-z0-9_-]{43}$/);
    expect(a.key).not.toBe(b.key);
    expect(a.entry).toEqual({ principal: "sales-api", sha256: hashApiKey(a.key) });
    expect(JSON.stringify(a.entry)).not.toContain(a.key.slice(4));
  });

  it("refuses entries for unknown principals or malformed hashes, naming the entry", async () => {
    const registry = new DeployedRegistry(snapshotRegistry(await exampleRegistry()));
    expect(
      () =>
        new CallerAuthenticator(registry, {
          apiKeys: [{ principal: "mallory", sha256: "0".repeat(64) }],
        }),
    ).toThrow(/API key 0: 'mallory' is not a principal/);
    expect(
      () =>
        new CallerAuthenticator(registry, { apiKeys: [{ principal: "sales-api", sha256: "abc" }] }),
    ).toThrow(AuthConfigError);
    expect(
      () => new CallerAuthenticator(registry, { jwt: { issuer: "i", audience: "a" } }),
    ).toThrow(/exactly one of jwksUrl and jwks/);
    // jose is loaded later, on first use; a bad key set still fails when the ingress is built.
    for (const jwks of [{}, { keys: "k" }, { keys: [1] }, { keys: [[]] }, null])
      expect(
        () =>
          new CallerAuthenticator(registry, {
            jwt: { issuer: "i", audience: "a", jwks: jwks as never },
          }),
      ).toThrow(/JWT: jwks must be a JSON Web Key Set/);
    expect(
      () =>
        new CallerAuthenticator(registry, {
          jwt: { issuer: "i", audience: "a", jwksUrl: "not a url" },
        }),
    ).toThrow(TypeError);
  });
});
