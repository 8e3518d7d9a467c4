/**
 * A deployed trigger's publish settings from the environment: the MESH_* variables, read as
 * the ingress reads them (a trigger bundle carries no ingress code, so it has its own reader).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ingressSettingsFromEnv } from "../../../shared/ingress/index.ts";
import { publishSettingsFromEnv, TriggerConfigError } from "../../../shared/trigger/index.ts";

const SECRET = "s3cr3t-do-not-print";

describe("trigger publish settings", () => {
  it("reads the edge routers, the principal and TLS", () => {
    expect(
      publishSettingsFromEnv({
        MESH_URLS: " amqps://edge-1:5671 ,amqps://edge-2:5671,",
        MESH_SASL_USERNAME: "billing-worker",
        MESH_SASL_PASSWORD: SECRET,
        MESH_TLS_CA: "/etc/mesh/ca.pem",
        MESH_TLS_REJECT_UNAUTHORIZED: "false",
      }),
    ).toEqual({
      urls: ["amqps://edge-1:5671", "amqps://edge-2:5671"],
      sasl: { mechanism: "PLAIN", username: "billing-worker", password: SECRET },
      tls: { ca: "/etc/mesh/ca.pem", rejectUnauthorized: false },
    });
  });

  it("without MESH_URLS the function does not publish; a bad mechanism is named, not echoed", () => {
    expect(publishSettingsFromEnv({})).toBeUndefined();
    expect(publishSettingsFromEnv({ MESH_URLS: " , " })).toBeUndefined();
    expect(() =>
      publishSettingsFromEnv({
        MESH_URLS: "amqp://127.0.0.1:5672",
        MESH_SASL_MECHANISM: SECRET,
      }),
    ).toThrow(new TriggerConfigError(["MESH_SASL_MECHANISM must be PLAIN, EXTERNAL or ANONYMOUS"]));
  });

  it("any environment (fuzz): the ingress's reading of the same MESH_* variables, or a TriggerConfigError without the password", () => {
    const value = fc.oneof(
      fc.string(),
      fc.constantFrom(
        "amqp://r:5672",
        "amqps://a:5671, amqps://b:5671",
        ",",
        "PLAIN",
        "EXTERNAL",
        "ANONYMOUS",
        "false",
        "true",
      ),
    );
    const optional = fc.option(value, { nil: undefined });
    fc.assert(
      fc.property(
        fc.record({
          MESH_URLS: optional,
          MESH_SASL_USERNAME: optional,
          MESH_SASL_MECHANISM: optional,
          MESH_TLS_CA: optional,
          MESH_TLS_CERT: optional,
          MESH_TLS_KEY: optional,
          MESH_TLS_SERVERNAME: optional,
          MESH_TLS_REJECT_UNAUTHORIZED: optional,
        }),
        (vars) => {
          const env = { ...vars, MESH_SASL_PASSWORD: SECRET };
          let settings: ReturnType<typeof publishSettingsFromEnv>;
          try {
            settings = publishSettingsFromEnv(env);
          } catch (error) {
            expect(error).toBeInstanceOf(TriggerConfigError);
            expect((error as Error).message).not.toContain(SECRET);
            return;
          }
          const listed = (env.MESH_URLS ?? "").split(",").some((u) => u.trim() !== "");
          if (!listed) {
            expect(settings).toBeUndefined();
            return;
          }
          expect(settings).toEqual(ingressSettingsFromEnv(env).mesh);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
