/**
 * The Function Apps of an Azure environment, from the bundles `npm run bundle` writes: the
 * ingress (app.http) and config-sync (app.eventGrid for BlobCreated under the registry
 * container, app.timer for drift), each on Flex Consumption (Node 22) with VNet integration
 * and its own managed identity, whose roles name exactly the containers it reads and writes.
 * Config-sync publishes the registry that passed its gate under `<prefix>published/`; the
 * ingress reads that one blob, live, with its identity (Storage Blob Data Reader on the
 * registry container, conditioned on that blob's path). Blob access is identity-based
 * (`<NAME>__blobServiceUri`, `__credential`, `__clientId`): no account key or SAS in any
 * setting. Passwords are Key Vault references (`@Microsoft.KeyVault(SecretUri=…)`), which the
 * platform resolves with the app's identity: the function still reads an environment
 * variable, never an app-setting value.
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
import { assignRole, onlyBlob } from "./roles.ts";

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
  // Identity-based blob access, named as the Functions host names it for bindings.
  const blobIdentity = (name: string, clientId: pulumi.Output<string>) => [
    { name: `${name}__blobServiceUri`, value: store.account.primaryEndpoints.blob },
    { name: `${name}__credential`, value: "managedidentity" },
    { name: `${name}__clientId`, value: clientId },
  ];
  const ingress = functionApp("ingress", "ingress", (clientId) => [
    // The registry config-sync published (shared/registry-snapshot, "Trust model"), read with
    // the app's identity (functions/azure/blob-identity.ts).
    { name: "REGISTRY_BLOB_CONTAINER", value: REGISTRY_CONTAINER },
    ...blobIdentity("REGISTRY_BLOB", clientId),
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
  const sync = functionApp("config-sync", "sync", (clientId) => [
    { name: "SYNC_BLOB_CONTAINER", value: REGISTRY_CONTAINER },
    ...blobIdentity("SYNC_BLOB", clientId),
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
  // The ingress reads the published snapshot: one blob of that container (a role cannot be
  // scoped below a container; the condition narrows its reads to the snapshot's path).
  assignRole(
    `${env}-ingress-snapshot`,
    "storageBlobDataReader",
    ingress.identity.principalId,
    store.container.id,
    subscriptionId,
    opts,
    onlyBlob(snapshotKey),
  );
  // The functions read their passwords from Key Vault (references resolved by the platform).
  for (const [name, fn, secret] of [
    ["ingress", ingress, "ingress-password"],
    ["config-sync", sync, "config-sync-password"],
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
