/**
 * A Lambda's mesh password (and the routers' CA) from AWS Secrets Manager:
 * MESH_SASL_PASSWORD_SECRET names the secret (its ARN, as infra/aws/functions.ts sets it;
 * MESH_TLS_CA_SECRET the CA's); it is read once, during init, and the settings see it as
 * MESH_SASL_PASSWORD (MESH_TLS_CA) (the execution environment keeps it: warm
 * invocations read nothing). The client is imported only when a secret is named (a file of
 * its own in the bundle, `aws-secrets-client.mjs`), so a function given the password
 * directly (locally, in tests) loads no SDK. The value is never logged nor put in an error.
 */
import { SettingsError } from "../../shared/settings/errors.ts";
import type { SecretReader } from "./secrets-client.ts";

export type { SecretReader } from "./secrets-client.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** The secret is named twice over, or cannot be read; never carries its value. */
export class MeshSecretError extends SettingsError {
  override name = "MeshSecretError";
  constructor(problem: string, options: { cause?: unknown } = {}) {
    super(problem, options);
  }
}

const readWithPowertools: SecretReader = async (secretId) =>
  (await import("./secrets-client.ts")).readSecret(secretId);

/**
 * The environment with MESH_SASL_PASSWORD read from the secret MESH_SASL_PASSWORD_SECRET
 * names, and MESH_TLS_CA (the PEM of the CA that signs the routers' client listeners) from
 * the secret MESH_TLS_CA_SECRET names (infra/aws sets both for its Lambdas).
 */
export async function withMeshPassword(
  env: Env,
  read: SecretReader = readWithPowertools,
): Promise<Env> {
  // Both read at once: two round trips to Secrets Manager in a row would lengthen the cold start.
  const [password, ca] = await Promise.all([
    fromSecret(env, "MESH_SASL_PASSWORD", read, "the password"),
    fromSecret(env, "MESH_TLS_CA", read, "the CA's PEM"),
  ]);
  return withValue(withValue(env, "MESH_SASL_PASSWORD", password), "MESH_TLS_CA", ca);
}

/** `env` with `<variable>` set to what its secret held, in place of `<variable>_SECRET`. */
function withValue(env: Env, variable: string, value: string | undefined): Env {
  if (value === undefined) return env;
  const { [`${variable}_SECRET`]: _named, ...rest } = env;
  return { ...rest, [variable]: value };
}

/** What the secret `<variable>_SECRET` names holds; undefined when it names none. */
async function fromSecret(
  env: Env,
  variable: "MESH_SASL_PASSWORD" | "MESH_TLS_CA",
  read: SecretReader,
  what: string,
): Promise<string | undefined> {
  const named = `${variable}_SECRET`;
  const secretId = env[named];
  if (secretId === undefined || secretId === "") return undefined;
  if (env[variable] !== undefined)
    throw new MeshSecretError(`give ${variable} or ${named} (a Secrets Manager secret), not both`);
  let value: string | undefined;
  try {
    value = await read(secretId);
  } catch (error) {
    // Powertools wraps the service's error (GetParameterError): its cause says what AWS said.
    const root = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const reason = root instanceof Error ? `${root.name}: ${root.message}` : String(root);
    throw new MeshSecretError(
      `${named}: the secret ${secretId} could not be read (${reason}); the function's role needs secretsmanager:GetSecretValue on it`,
      { cause: error },
    );
  }
  if (value === undefined || value === "")
    throw new MeshSecretError(
      `${named}: the secret ${secretId} has no string value: put ${what} with \`aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string …\``,
    );
  return value;
}
