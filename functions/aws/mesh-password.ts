/**
 * A Lambda's mesh password from AWS Secrets Manager: MESH_SASL_PASSWORD_SECRET names the
 * secret (its ARN, as infra/aws/functions.ts sets it); it is read once, during init, and the
 * settings see it as MESH_SASL_PASSWORD (the execution environment keeps it: warm
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

/** The environment with MESH_SASL_PASSWORD read from the secret MESH_SASL_PASSWORD_SECRET names. */
export async function withMeshPassword(
  env: Env,
  read: SecretReader = readWithPowertools,
): Promise<Env> {
  const secretId = env.MESH_SASL_PASSWORD_SECRET;
  if (secretId === undefined || secretId === "") return env;
  if (env.MESH_SASL_PASSWORD !== undefined)
    throw new MeshSecretError(
      "give MESH_SASL_PASSWORD or MESH_SASL_PASSWORD_SECRET (a Secrets Manager secret), not both",
    );
  let value: string | undefined;
  try {
    value = await read(secretId);
  } catch (error) {
    // Powertools wraps the service's error (GetParameterError): its cause says what AWS said.
    const root = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const reason = root instanceof Error ? `${root.name}: ${root.message}` : String(root);
    throw new MeshSecretError(
      `MESH_SASL_PASSWORD_SECRET: the secret ${secretId} could not be read (${reason}); the function's role needs secretsmanager:GetSecretValue on it`,
      { cause: error },
    );
  }
  if (value === undefined || value === "")
    throw new MeshSecretError(
      `MESH_SASL_PASSWORD_SECRET: the secret ${secretId} has no string value: put the password with \`aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string …\``,
    );
  const { MESH_SASL_PASSWORD_SECRET: _named, ...rest } = env;
  return { ...rest, MESH_SASL_PASSWORD: value };
}
