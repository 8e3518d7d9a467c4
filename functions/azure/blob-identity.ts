/**
 * A function's blob container from its settings, either way Azure Functions names a storage
 * connection: `<NAME>_CONNECTION_STRING` (Azurite locally, a SAS), or identity-based —
 * `<NAME>__blobServiceUri` with `<NAME>__credential=managedidentity` and, for a user-assigned
 * identity, `<NAME>__clientId` (what infra/azure/functions.ts sets: no key or SAS in any
 * setting; the identity holds a role on the container). The credential is
 * ManagedIdentityCredential, not DefaultAzureCredential: in a Function App there is exactly
 * one way to get a token, and the chain's other credentials (CLI, environment, workload
 * identity) would only be probed and fail.
 */
import { ManagedIdentityCredential, type TokenCredential } from "@azure/identity";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { SettingsError } from "../../shared/settings/errors.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** The container's connection settings are missing, contradictory or malformed. */
export class BlobSettingsError extends SettingsError {
  override name = "BlobSettingsError";
  constructor(problem: string) {
    super(problem);
  }
}

/** The credential of a managed identity (the user-assigned one clientId names). */
export type CredentialOf = (clientId: string | undefined) => TokenCredential;

const managedIdentity: CredentialOf = (clientId) =>
  clientId === undefined
    ? new ManagedIdentityCredential()
    : new ManagedIdentityCredential({ clientId });

/** The container `container` through the connection `<name>` describes in `env`. */
export function containerFromSettings(
  env: Env,
  name: string,
  container: string,
  credentialOf: CredentialOf = managedIdentity,
): ContainerClient {
  const connection = env[`${name}_CONNECTION_STRING`];
  const serviceUri = env[`${name}__blobServiceUri`];
  if (connection && serviceUri)
    throw new BlobSettingsError(
      `give ${name}_CONNECTION_STRING or ${name}__blobServiceUri (identity-based), not both`,
    );
  if (connection)
    return BlobServiceClient.fromConnectionString(connection).getContainerClient(container);
  if (!serviceUri)
    throw new BlobSettingsError(
      `${name}__blobServiceUri (with ${name}__credential=managedidentity) or ${name}_CONNECTION_STRING must name the storage account of container ${container}`,
    );
  let url: URL;
  try {
    url = new URL(serviceUri);
  } catch {
    throw new BlobSettingsError(`${name}__blobServiceUri is not a URL: ${serviceUri}`);
  }
  if (url.protocol !== "https:" || url.search !== "" || url.hash !== "")
    throw new BlobSettingsError(
      `${name}__blobServiceUri must be the account's https blob endpoint, without a query or fragment (${url.origin}${url.pathname})`,
    );
  // The account's endpoint has no path (https://<account>.blob.core.windows.net/): a path would
  // be read as a container name by the SDK.
  if (url.pathname !== "/")
    throw new BlobSettingsError(
      `${name}__blobServiceUri must be the account's blob endpoint, without a path (${url.origin}${url.pathname})`,
    );
  const credential = env[`${name}__credential`];
  if (credential !== "managedidentity")
    throw new BlobSettingsError(
      `${name}__credential must be 'managedidentity' with ${name}__blobServiceUri (it is ${credential === undefined ? "not set" : `'${credential}'`})`,
    );
  const clientId = env[`${name}__clientId`] || undefined;
  return new BlobServiceClient(url.href, credentialOf(clientId)).getContainerClient(container);
}
