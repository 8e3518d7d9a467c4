/**
 * The team triggers of an Azure environment, bridge mode: per team app (the bundle that
 * registers the triggers' HTTP functions, `azureTrigger`) a Function App — Flex Consumption,
 * VNet integration, its own identity reading the published registry snapshot, its principal's
 * password and the routers' CA — and per trigger its bridge: a Container App (one replica, no
 * ingress) in the routers' Container Apps environment, next to the edge routers, consuming the
 * trigger's channel as its principal and calling exactly that trigger's HTTP function
 * (`https://<app>/triggers/<name>`, the route azureTrigger registers, with the bundles' empty
 * route prefix) with that function's key. Its secrets — the password, the function key, the
 * CA — are Key Vault references its own identity reads, and nothing else.
 */

import * as app from "@pulumi/azure-native/app/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import type * as web from "@pulumi/azure-native/web/index.js";
import * as pulumi from "@pulumi/pulumi";
import { InfraProjectError } from "../project.ts";
import type { StackSettings } from "../settings.ts";
import type { TeamTrigger } from "../triggers.ts";
import type { FunctionApps } from "./function-apps.ts";
import { type ContainerRegistry, pullGrant } from "./image-pull.ts";
import type { AzureNetwork } from "./network.ts";
import { type AzureRegistryStore, REGISTRY_CONTAINER } from "./registry-store.ts";
import { assignRole, onlyBlob } from "./roles.ts";
import { type AzureRouters, secretName } from "./routers.ts";

export interface AzureTriggers {
  /** Trigger name → the Function App that runs it. */
  functionApps: Record<string, web.WebApp>;
  /** Trigger name → its bridge. */
  bridges: Record<string, app.ContainerApp>;
}

/** The Function App (bundle) a trigger is registered in. */
export const appOf = (trigger: TeamTrigger) => trigger.app ?? trigger.name;

/** The Key Vault secret holding the key of a trigger's HTTP function (set outside Pulumi). */
export const functionKeySecret = (trigger: TeamTrigger) =>
  secretName(`${trigger.name}-function-key`);

/** The Key Vault secret holding a principal's mesh password (set outside Pulumi). */
export const passwordSecret = (principal: string) => secretName(`${principal}-password`);

/** A Container App's name: at most 32 lower-case letters, digits and '-'. */
function bridgeName(trigger: TeamTrigger): string {
  const name = `bridge-${trigger.name}`;
  if (name.length > 32 || !/^[a-z][a-z0-9-]*[a-z0-9]$/.test(name))
    throw new InfraProjectError(
      `trigger '${trigger.name}': its bridge's Container App would be named '${name}', which Azure refuses (at most 32 lower-case letters, digits and '-'): give the definition a shorter name`,
    );
  return name;
}

export function azureTriggers(
  env: string,
  location: string,
  triggers: TeamTrigger[],
  bridgeImage: string,
  apps: FunctionApps,
  routers: AzureRouters,
  net: AzureNetwork,
  store: AzureRegistryStore,
  /** The Key Vault secret of the CA the edge routers' client listeners are signed by. */
  edgeCaOf: () => string,
  registry: ContainerRegistry | undefined,
  subscriptionId: pulumi.Input<string>,
  settings: StackSettings,
  opts: pulumi.CustomResourceOptions,
): AzureTriggers {
  const result: AzureTriggers = { functionApps: {}, bridges: {} };
  if (triggers.length === 0) return result;
  const edgeCa = edgeCaOf();
  const meshUrls = Object.values(routers.edgeUrls).join(",");
  const snapshotKey = `${settings.registryPrefix}published/registry-snapshot.json`;
  const vaultUrl = (secret: string) =>
    pulumi.interpolate`${routers.vault.properties.vaultUri}secrets/${secret}`;

  // One Function App per team app; it logs in as one principal.
  const byApp = new Map<string, TeamTrigger[]>();
  for (const trigger of triggers)
    byApp.set(appOf(trigger), [...(byApp.get(appOf(trigger)) ?? []), trigger]);
  for (const [appName, members] of byApp) {
    const principals = [...new Set(members.map((t) => t.principal))];
    if (principals.length > 1)
      throw new InfraProjectError(
        `amqp-mesh:triggers: the Function App '${appName}' would log in as ${principals.map((p) => `'${p}'`).join(" and ")}: an app publishes as one principal — give its triggers one, or put them in apps of their own (app)`,
      );
    const principal = principals[0]!;
    const fn = apps.app(appName, appName, (clientId) => [
      // The registry config-sync published, read with the app's identity, as the ingress reads it.
      { name: "REGISTRY_BLOB_CONTAINER", value: REGISTRY_CONTAINER },
      ...apps.blobIdentity("REGISTRY_BLOB", clientId),
      { name: "REGISTRY_SNAPSHOT_KEY", value: snapshotKey },
      { name: "MESH_URLS", value: meshUrls },
      { name: "MESH_SASL_USERNAME", value: principal },
      { name: "MESH_SASL_PASSWORD", value: apps.vaultReference(passwordSecret(principal)) },
      { name: "MESH_TLS_CA", value: apps.vaultReference(edgeCa) },
    ]);
    assignRole(
      `${env}-${appName}-snapshot`,
      "storageBlobDataReader",
      fn.identity.principalId,
      store.container.id,
      subscriptionId,
      opts,
      onlyBlob(snapshotKey),
    );
    for (const secret of [passwordSecret(principal), edgeCa])
      apps.readsVaultSecret(appName, fn.identity, secret);
    for (const trigger of members) result.functionApps[trigger.name] = fn.site;
  }

  for (const trigger of triggers) {
    const site = result.functionApps[trigger.name]!;
    const name = bridgeName(trigger);
    const identity = new managedidentity.UserAssignedIdentity(
      `${env}-${name}-identity`,
      { resourceGroupName: net.resourceGroup.name, location },
      opts,
    );
    const secrets = [
      { variable: "MESH_SASL_PASSWORD", secret: passwordSecret(trigger.principal) },
      { variable: "AZURE_FUNCTION_KEY", secret: functionKeySecret(trigger) },
      { variable: "MESH_TLS_CA", secret: edgeCa },
    ];
    // The app resolves its Key Vault secrets when a revision starts: after its identity may.
    const reads = secrets.map((s) => apps.readsVaultSecret(name, identity, s.secret));
    const pull = pullGrant(`${env}-${name}`, bridgeImage, identity, registry, subscriptionId, opts);
    result.bridges[trigger.name] = new app.ContainerApp(
      `${env}-${name}`,
      {
        resourceGroupName: net.resourceGroup.name,
        location,
        containerAppName: name,
        managedEnvironmentId: routers.environment.id,
        workloadProfileName: "Consumption",
        identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
        configuration: {
          activeRevisionsMode: "Single",
          secrets: secrets.map((s) => ({
            name: s.secret,
            keyVaultUrl: vaultUrl(s.secret),
            identity: identity.id,
          })),
          registries: pull.registries,
        },
        template: {
          scale: { minReplicas: 1, maxReplicas: 1 },
          containers: [
            {
              name: "bridge",
              image: bridgeImage,
              resources: { cpu: 0.25, memory: "0.5Gi" },
              // infra/bridge/entrypoint.sh: settings from the environment only.
              env: [
                { name: "MESH_BRIDGE_CHANNEL", value: trigger.channel },
                {
                  name: "MESH_BRIDGE_AZURE_URL",
                  value: pulumi.interpolate`https://${site.defaultHostName}/triggers/${trigger.name}`,
                },
                { name: "MESH_URLS", value: meshUrls },
                { name: "MESH_SASL_USERNAME", value: trigger.principal },
                ...secrets.map((s) => ({ name: s.variable, secretRef: s.secret })),
              ],
            },
          ],
        },
      },
      { ...opts, dependsOn: [...reads, ...pull.dependsOn] },
    );
  }
  return result;
}
