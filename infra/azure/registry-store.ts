/**
 * The registry store of an Azure environment: a storage account without public blob access,
 * TLS 1.2+, HTTPS only, encrypted (Microsoft-managed keys), blob versioning on; the registry
 * container; and the Event Grid system topic whose BlobCreated events under the registry
 * container start config-sync.
 */

import * as eventgrid from "@pulumi/azure-native/eventgrid/index.js";
import * as storage from "@pulumi/azure-native/storage/index.js";
import type * as pulumi from "@pulumi/pulumi";
import type { AzureNetwork } from "./network.ts";

export const REGISTRY_CONTAINER = "registry";

export interface AzureRegistryStore {
  resourceGroupName: pulumi.Output<string>;
  account: storage.StorageAccount;
  container: storage.BlobContainer;
  topic: eventgrid.SystemTopic;
}

export function privateStorageAccount(
  name: string,
  location: string,
  net: AzureNetwork,
  sharedKeyAccess: boolean,
  opts: pulumi.CustomResourceOptions,
): storage.StorageAccount {
  return new storage.StorageAccount(
    name,
    {
      resourceGroupName: net.resourceGroup.name,
      location,
      kind: "StorageV2",
      sku: { name: "Standard_LRS" },
      allowBlobPublicAccess: false,
      allowSharedKeyAccess: sharedKeyAccess,
      defaultToOAuthAuthentication: true,
      minimumTlsVersion: "TLS1_2",
      enableHttpsTrafficOnly: true,
      encryption: {
        keySource: "Microsoft.Storage",
        services: { blob: { enabled: true, keyType: "Account" } },
      },
    },
    opts,
  );
}

export function azureRegistryStore(
  env: string,
  location: string,
  net: AzureNetwork,
  opts: pulumi.CustomResourceOptions,
): AzureRegistryStore {
  // No shared key: the functions read and write with their identities (role assignments on
  // the registry container), `registry push` with Entra ID or a user delegation SAS.
  const account = privateStorageAccount(`${env.replace(/-/g, "")}reg`, location, net, false, opts);
  new storage.BlobServiceProperties(
    `${env}-registry-versioning`,
    {
      resourceGroupName: net.resourceGroup.name,
      accountName: account.name,
      blobServicesName: "default",
      isVersioningEnabled: true,
      deleteRetentionPolicy: { enabled: true, days: 30 },
    },
    opts,
  );
  const container = new storage.BlobContainer(
    `${env}-registry`,
    {
      resourceGroupName: net.resourceGroup.name,
      accountName: account.name,
      containerName: REGISTRY_CONTAINER,
      publicAccess: "None",
    },
    opts,
  );
  const topic = new eventgrid.SystemTopic(
    `${env}-registry-events`,
    {
      resourceGroupName: net.resourceGroup.name,
      location,
      source: account.id,
      topicType: "Microsoft.Storage.StorageAccounts",
    },
    opts,
  );
  return { resourceGroupName: net.resourceGroup.name, account, container, topic };
}

/** The subject every registry blob's BlobCreated event starts with. */
export function registrySubjectPrefix(prefix: string): string {
  return `/blobServices/default/containers/${REGISTRY_CONTAINER}/blobs/${prefix}`;
}
