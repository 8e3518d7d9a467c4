/**
 * The Function Apps of an Azure environment, from the bundles `npm run bundle` writes: the
 * ingress (app.http) and config-sync (app.eventGrid for BlobCreated under the registry
 * container, app.timer for drift), each on Flex Consumption (Node 22) with VNet integration
 * and its own managed identity, whose roles name exactly the containers it reads and writes.
 * Config-sync publishes the registry that passed its gate under `<prefix>published/`; the
 * ingress reads that one blob, live, with its identity (Storage Blob Data Reader on the
 * registry container, conditioned on that blob's path). Blob access is identity-based
 * (`<NAME>__blobServiceUri`, `__credential`, `__clientId`): no account key or SAS in any
 * setting. Passwords, and the CA the functions verify the routers' certificates with
 * (MESH_TLS_CA), are Key Vault references (`@Microsoft.KeyVault(SecretUri=…)`), which the
 * platform resolves with the app's identity: the function still reads an environment
 * variable, never an app-setting value. The apps themselves: function-apps.ts.
 */

import * as eventgrid from "@pulumi/azure-native/eventgrid/index.js";
import type * as web from "@pulumi/azure-native/web/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { StackSettings } from "../settings.ts";
import type { FunctionApps } from "./function-apps.ts";
import {
  type AzureRegistryStore,
  REGISTRY_CONTAINER,
  registrySubjectPrefix,
} from "./registry-store.ts";
import { assignRole, onlyBlob } from "./roles.ts";

export interface AzureFunctions {
  ingressHost: pulumi.Output<string>;
  syncApp: web.WebApp;
}

/** Key Vault secret names of the CAs the functions verify the routers with. */
export interface RouterCas {
  /** Of the edge routers' client listeners (the ingress, the triggers, the bridges). */
  edges: string;
  /** Of every router's client listener (config-sync manages them all). */
  all: string;
}

export function azureFunctions(
  env: string,
  apps: FunctionApps,
  store: AzureRegistryStore,
  edgeUrls: string[],
  managementUrls: string[],
  cas: RouterCas,
  subscriptionId: pulumi.Input<string>,
  settings: StackSettings,
  opts: pulumi.CustomResourceOptions,
): AzureFunctions {
  const prefix = settings.registryPrefix;
  const snapshotKey = `${prefix}published/registry-snapshot.json`;
  const ingress = apps.app("ingress", "ingress", (clientId) => [
    // The registry config-sync published (shared/registry-snapshot, "Trust model"), read with
    // the app's identity (functions/azure/blob-identity.ts).
    { name: "REGISTRY_BLOB_CONTAINER", value: REGISTRY_CONTAINER },
    ...apps.blobIdentity("REGISTRY_BLOB", clientId),
    { name: "REGISTRY_SNAPSHOT_KEY", value: snapshotKey },
    { name: "MESH_URLS", value: edgeUrls.join(",") },
    { name: "MESH_SASL_USERNAME", value: "ingress" },
    { name: "MESH_SASL_PASSWORD", value: apps.vaultReference("ingress-password") },
    { name: "MESH_TLS_CA", value: apps.vaultReference(cas.edges) },

    ...(settings.jwt
      ? [
          { name: "INGRESS_JWT_ISSUER", value: settings.jwt.issuer },
          { name: "INGRESS_JWT_AUDIENCE", value: settings.jwt.audience.join(",") },
        ]
      : []),
  ]);
  const sync = apps.app("config-sync", "sync", (clientId) => [
    { name: "SYNC_BLOB_CONTAINER", value: REGISTRY_CONTAINER },
    ...apps.blobIdentity("SYNC_BLOB", clientId),
    { name: "SYNC_REGISTRY_PREFIX", value: prefix },
    { name: "REGISTRY_SNAPSHOT_KEY", value: snapshotKey },
    { name: "SYNC_ROUTER_URLS", value: managementUrls.join(",") },
    { name: "SYNC_MANAGEMENT_PRINCIPALS", value: settings.managementPrincipal },
    { name: "SYNC_SCHEDULE", value: settings.azure.syncSchedule },
    { name: "MESH_SASL_USERNAME", value: settings.managementPrincipal },
    { name: "MESH_SASL_PASSWORD", value: apps.vaultReference("config-sync-password") },
    { name: "MESH_TLS_CA", value: apps.vaultReference(cas.all) },
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
  // The functions read their passwords and the routers' CA from Key Vault (references
  // resolved by the platform).
  for (const [name, fn, secrets] of [
    ["ingress", ingress, ["ingress-password", cas.edges]],
    ["config-sync", sync, ["config-sync-password", cas.all]],
  ] as const)
    for (const secret of new Set(secrets)) apps.readsVaultSecret(name, fn.identity, secret);

  new eventgrid.SystemTopicEventSubscription(
    `${env}-registry-change`,
    {
      resourceGroupName: store.resourceGroupName,
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
