/**
 * The Function Apps of an Azure environment, from the bundles `npm run bundle` writes: the
 * ingress (app.http) and config-sync (app.eventGrid for BlobCreated under the registry
 * container, app.timer for drift), each on Flex Consumption (Node 22) with VNet integration
 * and its own managed identity, whose roles name exactly the containers it reads and writes.
 * Config-sync publishes the registry that passed its gate under `<prefix>published/`; the
 * ingress reads that one blob, live, through a read-only SAS scoped to it (Key Vault secret
 * `registry-snapshot-connection-string`). Passwords are Key Vault references, never
 * app-setting values.
 */

import * as eventgrid from "@pulumi/azure-native/eventgrid/index.js";
import type * as keyvault from "@pulumi/azure-native/keyvault/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import * as storage from "@pulumi/azure-native/storage/index.js";
import * as web from "@pulumi/azure-native/web/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { StackSettings } from "../settings.ts";
import type { AzureNetwork } from "./network.ts";
import {
  type AzureRegistryStore,
  privateStorageAccount,
  REGISTRY_CONTAINER,
  registrySubjectPrefix,
} from "./registry-store.ts";
import { assignRole } from "./roles.ts";

export interface AzureFunctions {
  ingressHost: pulumi.Output<string>;
  syncApp: web.WebApp;
}

export function azureFunctions(
  env: string,
  location: string,
  bundles: (name: string) => string,
  net: AzureNetwork,
  store: AzureRegistryStore,
  vault: keyvault.Vault,
  edgeUrls: string[],
  managementUrls: string[],
  subscriptionId: pulumi.Input<string>,
  settings: StackSettings,
  opts: pulumi.CustomResourceOptions,
): AzureFunctions {
  const resourceGroupName = net.resourceGroup.name;
  // Host storage of the apps (their packages and the Functions runtime's leases), apart from the registry.
  const host = privateStorageAccount(`${env.replace(/-/g, "")}fn`, location, net, false, opts);
  const plan = new web.AppServicePlan(
    `${env}-functions`,
    {
      resourceGroupName,
      location,
      kind: "functionapp",
      reserved: true,
      sku: { name: "FC1", tier: "FlexConsumption" },
    },
    opts,
  );
  const passwordReference = (name: string) =>
    pulumi.interpolate`@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${name})`;

  const functionApp = (
    name: string,
    bundle: string,
    settingsOf: (
      identityClientId: pulumi.Output<string>,
    ) => { name: string; value: pulumi.Input<string> }[],
  ) => {
    const identity = new managedidentity.UserAssignedIdentity(
      `${env}-${name}-identity`,
      { resourceGroupName, location },
      opts,
    );
    const packages = new storage.BlobContainer(
      `${env}-${name}-package`,
      {
        resourceGroupName,
        accountName: host.name,
        containerName: `${name}-package`,
        publicAccess: "None",
      },
      opts,
    );
    // The runtime keeps its leases in the host account; the package is read from its container.
    assignRole(
      `${env}-${name}-host`,
      "storageBlobDataOwner",
      identity.principalId,
      host.id,
      subscriptionId,
      opts,
    );
    new storage.Blob(
      `${env}-${name}-zip`,
      {
        resourceGroupName,
        accountName: host.name,
        containerName: packages.name,
        blobName: `${name}.zip`,
        source: new pulumi.asset.FileArchive(bundles(bundle)),
      },
      opts,
    );
    const site = new web.WebApp(
      `${env}-${name}`,
      {
        resourceGroupName,
        location,
        kind: "functionapp,linux",
        serverFarmId: plan.id,
        httpsOnly: true,
        virtualNetworkSubnetId: net.functionsSubnetId,
        identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
        keyVaultReferenceIdentity: identity.id,
        functionAppConfig: {
          deployment: {
            storage: {
              type: "blobContainer",
              value: pulumi.interpolate`${host.primaryEndpoints.blob}${packages.name}`,
              authentication: {
                type: "UserAssignedIdentity",
                userAssignedIdentityResourceId: identity.id,
              },
            },
          },
          runtime: { name: "node", version: "22" },
          scaleAndConcurrency: { maximumInstanceCount: 40, instanceMemoryMB: 2048 },
        },
        siteConfig: {
          minTlsVersion: "1.2",
          appSettings: [
            { name: "AzureWebJobsStorage__accountName", value: host.name },
            { name: "AzureWebJobsStorage__credential", value: "managedidentity" },
            { name: "AzureWebJobsStorage__clientId", value: identity.clientId },
            ...settingsOf(identity.clientId),
          ],
        },
      },
      opts,
    );
    return { site, identity };
  };

  const prefix = settings.registryPrefix;
  const snapshotKey = `${prefix}published/registry-snapshot.json`;
  const ingress = functionApp("ingress", "ingress", () => [
    // The registry config-sync published (shared/registry-snapshot, "Trust model"): a SAS
    // connection string for that one blob, read only.
    { name: "REGISTRY_BLOB_CONTAINER", value: REGISTRY_CONTAINER },
    {
      name: "REGISTRY_BLOB_CONNECTION_STRING",
      value: passwordReference("registry-snapshot-connection-string"),
    },
    { name: "REGISTRY_SNAPSHOT_KEY", value: snapshotKey },
    { name: "MESH_URLS", value: edgeUrls.join(",") },
    { name: "MESH_SASL_USERNAME", value: "ingress" },
    { name: "MESH_SASL_PASSWORD", value: passwordReference("ingress-password") },
    ...(settings.jwt
      ? [
          { name: "INGRESS_JWT_ISSUER", value: settings.jwt.issuer },
          { name: "INGRESS_JWT_AUDIENCE", value: settings.jwt.audience.join(",") },
        ]
      : []),
  ]);
  const sync = functionApp("config-sync", "sync", () => [
    { name: "SYNC_BLOB_CONTAINER", value: REGISTRY_CONTAINER },
    // functions/azure/sync-app.ts reads a connection string: a container-scoped SAS one, in Key Vault.
    { name: "SYNC_BLOB_CONNECTION_STRING", value: passwordReference("registry-connection-string") },
    { name: "SYNC_REGISTRY_PREFIX", value: prefix },
    { name: "REGISTRY_SNAPSHOT_KEY", value: snapshotKey },
    { name: "SYNC_ROUTER_URLS", value: managementUrls.join(",") },
    { name: "SYNC_MANAGEMENT_PRINCIPALS", value: settings.managementPrincipal },
    { name: "SYNC_SCHEDULE", value: settings.azure.syncSchedule },
    { name: "MESH_SASL_USERNAME", value: settings.managementPrincipal },
    { name: "MESH_SASL_PASSWORD", value: passwordReference("config-sync-password") },
  ]);
  // Config-sync reads the registry and writes its state document: this container, nothing else.
  assignRole(
    `${env}-config-sync-registry`,
    "storageBlobDataContributor",
    sync.identity.principalId,
    store.container.id,
    subscriptionId,
    opts,
  );
  // The functions read their passwords from Key Vault (references resolved by the platform).
  for (const [name, fn, secret] of [
    ["ingress", ingress, "ingress-password"],
    ["ingress", ingress, "registry-snapshot-connection-string"],
    ["config-sync", sync, "config-sync-password"],
    ["config-sync", sync, "registry-connection-string"],
  ] as const)
    assignRole(
      `${env}-${name}-reads-${secret}`,
      "keyVaultSecretsUser",
      fn.identity.principalId,
      pulumi.interpolate`${vault.id}/secrets/${secret}`,
      subscriptionId,
      opts,
    );

  new eventgrid.SystemTopicEventSubscription(
    `${env}-registry-change`,
    {
      resourceGroupName,
      systemTopicName: store.topic.name,
      destination: {
        endpointType: "AzureFunction",
        resourceId: pulumi.interpolate`${sync.site.id}/functions/registrySync`,
        maxEventsPerBatch: 1,
      },
      filter: {
        includedEventTypes: ["Microsoft.Storage.BlobCreated"],
        subjectBeginsWith: registrySubjectPrefix(prefix),
        // Config-sync's own writes (the published snapshot) wake nothing.
        advancedFilters: [
          {
            operatorType: "StringNotBeginsWith",
            key: "subject",
            values: [registrySubjectPrefix(`${prefix}published/`)],
          },
        ],
      },
      eventDeliverySchema: "EventGridSchema",
    },
    opts,
  );
  return { ingressHost: ingress.site.defaultHostName, syncApp: sync.site };
}
