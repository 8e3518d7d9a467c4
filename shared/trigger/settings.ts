/**
 * A deployed trigger's settings, from environment variables (Lambda configuration, Azure app
 * settings; secrets through Secrets Manager / Key Vault references): the edge routers it
 * publishes to, with the same MESH_* variables as the ingress (shared/ingress/README.md).
 * Its own module, so that a trigger bundle carries none of the ingress's settings (API keys,
 * JWT issuers) — and none of the ingress.
 */
import type { MeshClientConfigInput } from "../amqp/index.ts";
import { type Env, listSetting, meshLoginFromEnv } from "../settings/env.ts";
import { TriggerConfigError } from "./errors.ts";

/**
 * MESH_URLS (comma-separated amqps:// edge routers; none: the function does not publish),
 * MESH_SASL_USERNAME/PASSWORD (PLAIN) or MESH_SASL_MECHANISM=EXTERNAL with
 * MESH_TLS_CERT/KEY, MESH_TLS_CA, MESH_TLS_SERVERNAME, MESH_TLS_REJECT_UNAUTHORIZED — read as
 * the ingress reads them (shared/settings/env.ts).
 */
export function publishSettingsFromEnv(env: Env): MeshClientConfigInput | undefined {
  const urls = listSetting(env.MESH_URLS);
  if (urls.length === 0) return undefined;
  const problems: string[] = [];
  const { sasl, tls } = meshLoginFromEnv(env, problems);
  if (problems.length > 0) throw new TriggerConfigError(problems);
  return { urls, sasl, ...(urls.some((u) => u.startsWith("amqps:")) ? { tls } : {}) };
}
