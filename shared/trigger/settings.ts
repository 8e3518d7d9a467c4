/**
 * A deployed trigger's settings, from environment variables (Lambda configuration, Azure app
 * settings; secrets through Secrets Manager / Key Vault references): the edge routers it
 * publishes to, with the same MESH_* variables as the ingress (shared/ingress/README.md).
 * Its own module, so that a trigger bundle carries none of the ingress's settings (API keys,
 * JWT issuers) — and none of the ingress.
 */
import type { MeshClientConfigInput } from "../amqp/index.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** A setting is malformed; names the variable and what it must hold, never its value. */
export class TriggerConfigError extends Error {
  constructor(problems: readonly string[]) {
    super(`trigger configuration: ${problems.join("; ")}`);
    this.name = "TriggerConfigError";
  }
}

/**
 * MESH_URLS (comma-separated amqps:// edge routers; none: the function does not publish),
 * MESH_SASL_USERNAME/PASSWORD (PLAIN) or MESH_SASL_MECHANISM=EXTERNAL with
 * MESH_TLS_CERT/KEY, MESH_TLS_CA, MESH_TLS_SERVERNAME, MESH_TLS_REJECT_UNAUTHORIZED.
 */
export function publishSettingsFromEnv(env: Env): MeshClientConfigInput | undefined {
  const urls = (env.MESH_URLS ?? "")
    .split(",")
    .map((u) => u.trim())
    .filter((u) => u.length > 0);
  if (urls.length === 0) return undefined;
  const username = env.MESH_SASL_USERNAME;
  const mechanism = env.MESH_SASL_MECHANISM ?? (username === undefined ? "ANONYMOUS" : "PLAIN");
  if (mechanism !== "ANONYMOUS" && mechanism !== "PLAIN" && mechanism !== "EXTERNAL")
    throw new TriggerConfigError(["MESH_SASL_MECHANISM must be PLAIN, EXTERNAL or ANONYMOUS"]);
  const tls = {
    ...(env.MESH_TLS_CA ? { ca: env.MESH_TLS_CA } : {}),
    ...(env.MESH_TLS_CERT ? { cert: env.MESH_TLS_CERT } : {}),
    ...(env.MESH_TLS_KEY ? { key: env.MESH_TLS_KEY } : {}),
    ...(env.MESH_TLS_SERVERNAME ? { servername: env.MESH_TLS_SERVERNAME } : {}),
    rejectUnauthorized: env.MESH_TLS_REJECT_UNAUTHORIZED !== "false",
  };
  return {
    urls,
    sasl: {
      mechanism,
      ...(username === undefined ? {} : { username }),
      ...(env.MESH_SASL_PASSWORD === undefined ? {} : { password: env.MESH_SASL_PASSWORD }),
    },
    ...(urls.some((u) => u.startsWith("amqps:")) ? { tls } : {}),
  };
}
