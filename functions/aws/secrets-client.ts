/**
 * The Secrets Manager client a Lambda reads its mesh password with: Powertools Parameters'
 * SecretsProvider (one GetSecretValue, its value cached by the provider). Imported lazily by
 * mesh-password.ts, only when MESH_SASL_PASSWORD_SECRET is set: a file of its own in the bundle.
 */
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";

/** Reads a secret's string value (SecretString); undefined when it has none. */
export type SecretReader = (secretId: string) => Promise<string | undefined>;

/** Cached for the life of the execution environment: init reads it once, rotation restarts. */
const CACHE_SECONDS = 24 * 60 * 60;

/** A reader over a provider (tests give one whose client talks to a local endpoint). */
export function secretReader(provider: SecretsProvider): SecretReader {
  return async (secretId) => {
    const value = await provider.get(secretId, { maxAge: CACHE_SECONDS });
    return typeof value === "string" ? value : undefined;
  };
}

let provider: SecretsProvider | undefined;

export const readSecret: SecretReader = (secretId) => {
  provider ??= new SecretsProvider();
  return secretReader(provider)(secretId);
};
