/**
 * The deployed ingress's settings, from environment variables (Lambda configuration, Azure
 * app settings — secrets come in through Secrets Manager / Key Vault references). zod/mini
 * at this edge: the classic API would more than double a function bundle (README).
 */
import * as z from "zod/mini";
import { englishMessages, type MeshClientConfigInput } from "../amqp/index.ts";
import { type Env, listSetting, meshLoginFromEnv, positiveMsSetting } from "../settings/env.ts";
import { SettingsError } from "../settings/errors.ts";
import type { ApiKeyEntry, AuthOptions } from "./auth.ts";

export interface IngressSettings {
  mesh: MeshClientConfigInput;
  auth: AuthOptions;
  publishDeadlineMs: number;
}

/** A setting is missing or malformed; names the variable and what it must hold, never its value. */
export class IngressConfigError extends SettingsError {
  override name = "IngressConfigError";
  constructor(problems: readonly string[]) {
    super(problems, { scope: "ingress" });
  }
}

const apiKeysSchema = z.array(
  z.object({ principal: z.string().check(z.minLength(1)), sha256: z.string() }),
);
const jwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

function jsonSetting<T>(
  env: Env,
  name: string,
  schema: z.ZodMiniType<T>,
  problems: string[],
  expected: string,
): T | undefined {
  const text = env[name];
  if (text === undefined || text.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    problems.push(`${name} is not JSON (expected ${expected})`);
    return undefined;
  }
  const result = schema.safeParse(value, englishMessages);
  if (!result.success) {
    problems.push(
      `${name}: ${result.error.issues.map((i) => `${i.path.join(".") || "(root)"} ${i.message}`).join(", ")} (expected ${expected})`,
    );
    return undefined;
  }
  return result.data;
}

/** A positive whole number of seconds; undefined when unset, a problem when malformed. */
function positiveSecondsSetting(env: Env, name: string, problems: string[]): number | undefined {
  const text = env[name];
  if (text === undefined || text.trim() === "") return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) {
    problems.push(`${name} must be a positive whole number of seconds`);
    return undefined;
  }
  return value;
}

/**
 * MESH_URLS (comma-separated amqps:// edge routers), MESH_SASL_USERNAME/PASSWORD (PLAIN)
 * or MESH_SASL_MECHANISM=EXTERNAL with MESH_TLS_CERT/KEY, MESH_TLS_CA, MESH_TLS_SERVERNAME;
 * INGRESS_API_KEYS (JSON [{principal, sha256}]); INGRESS_JWT_ISSUER, INGRESS_JWT_AUDIENCE,
 * INGRESS_JWT_JWKS_URL or INGRESS_JWT_JWKS (JSON), INGRESS_JWT_PRINCIPAL_CLAIM,
 * INGRESS_JWT_MAX_AGE_SECONDS, INGRESS_JWT_JWKS_BACKOFF_SECONDS;
 * INGRESS_IDENTITY_PROVIDERS (App Service, default aad); INGRESS_PUBLISH_DEADLINE_MS.
 */
export function ingressSettingsFromEnv(env: Env): IngressSettings {
  const problems: string[] = [];
  const urls = listSetting(env.MESH_URLS);
  if (urls.length === 0)
    problems.push("MESH_URLS must list the edge routers (amqps://host:port, comma-separated)");

  const { sasl, tls } = meshLoginFromEnv(env, problems);
  const mesh: MeshClientConfigInput = {
    urls,
    sasl,
    ...(urls.some((u) => u.startsWith("amqps:")) ? { tls } : {}),
  };

  const apiKeys: ApiKeyEntry[] =
    jsonSetting(
      env,
      "INGRESS_API_KEYS",
      apiKeysSchema,
      problems,
      '[{"principal":"…","sha256":"…"}]',
    ) ?? [];
  const auth: AuthOptions = { apiKeys };
  const providers = listSetting(env.INGRESS_IDENTITY_PROVIDERS);
  if (providers.length > 0) auth.platformIdentityProviders = providers;
  const issuer = env.INGRESS_JWT_ISSUER;
  if (issuer !== undefined && issuer !== "") {
    const audience = env.INGRESS_JWT_AUDIENCE;
    if (audience === undefined || audience === "")
      problems.push("INGRESS_JWT_AUDIENCE must be set with INGRESS_JWT_ISSUER");
    const jwks = jsonSetting(env, "INGRESS_JWT_JWKS", jwksSchema, problems, '{"keys":[…]}');
    const jwksUrl = env.INGRESS_JWT_JWKS_URL;
    if ((jwks === undefined) === (jwksUrl === undefined || jwksUrl === ""))
      problems.push("give exactly one of INGRESS_JWT_JWKS_URL and INGRESS_JWT_JWKS");
    auth.jwt = {
      issuer,
      audience: audience ?? "",
      ...(jwksUrl ? { jwksUrl } : {}),
      ...(jwks ? { jwks: jwks as never } : {}),
      ...(env.INGRESS_JWT_PRINCIPAL_CLAIM
        ? { principalClaim: env.INGRESS_JWT_PRINCIPAL_CLAIM }
        : {}),
      ...(env.INGRESS_JWT_ALGORITHMS
        ? { algorithms: env.INGRESS_JWT_ALGORITHMS.split(",").map((a) => a.trim()) }
        : {}),
    };
    const maxAge = positiveSecondsSetting(env, "INGRESS_JWT_MAX_AGE_SECONDS", problems);
    if (maxAge !== undefined) auth.jwt.maxTokenAgeSeconds = maxAge;
    const backoff = positiveSecondsSetting(env, "INGRESS_JWT_JWKS_BACKOFF_SECONDS", problems);
    if (backoff !== undefined) auth.jwt.jwksBackoffSeconds = backoff;
  }
  const publishDeadlineMs = positiveMsSetting(env, "INGRESS_PUBLISH_DEADLINE_MS", 10_000, problems);
  if (problems.length > 0) throw new IngressConfigError(problems);
  return { mesh, auth, publishDeadlineMs };
}
