/**
 * How an Azure environment runs a function bundle: one Flex Consumption plan (Node 22) and one
 * host storage account for all its Function Apps; per app its own user-assigned identity, its
 * package in a container of the host account, VNet integration, and the settings every app
 * shares — identity-based blob access, Key Vault references for what is secret or lives in
 * the vault (passwords, the routers' CA), never a value.
 */

import type * as authorization from "@pulumi/azure-native/authorization/index.js";
import type * as keyvault from "@pulumi/azure-native/keyvault/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import * as storage from "@pulumi/azure-native/storage/index.js";
import * as web from "@pulumi/azure-native/web/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { AzureNetwork } from "./network.ts";
import { type AzureRegistryStore, privateStorageAccount } from "./registry-store.ts";
import { assignRole } from "./roles.ts";

export type AppSetting = { name: string; value: pulumi.Input<string> };

export interface FunctionApp {
  site: web.WebApp;
  identity: managedidentity.UserAssignedIdentity;
}

export interface FunctionApps {
  /** A Function App `<env>-<name>` running the bundle `<bundles>/azure/<bundle>`. */
  app(
    name: string,
    bundle: string,
    settingsOf: (identityClientId: pulumi.Output<string>) => AppSetting[],
  ): FunctionApp;
  /** `@Microsoft.KeyVault(SecretUri=…)`: the platform resolves it with the app's identity. */
  vaultReference(secret: string): pulumi.Output<string>;
  /** An identity may read exactly this Key Vault secret (declared if it is not yet). */
  readsVaultSecret(
    name: string,
    identity: managedidentity.UserAssignedIdentity,
    secret: string,
  ): authorization.RoleAssignment;
  /** Identity-based blob access, named as the Functions host names a connection. */
  blobIdentity(name: string, clientId: pulumi.Output<string>): AppSetting[];
}

export function functionApps(
  env: string,
  location: string,
  bundles: (name: string) => string,
  net: AzureNetwork,
  store: AzureRegistryStore,
  vault: keyvault.Vault,
  vaultSecret: (name: string) => keyvault.Secret,
  subscriptionId: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): FunctionApps {
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

  const app: FunctionApps["app"] = (name, bundle, settingsOf) => {
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

  return {
    app,
    vaultReference: (secret) =>
      pulumi.interpolate`@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${secret})`,
    readsVaultSecret: (name, identity, secret) =>
      assignRole(
        `${env}-${name}-reads-${secret}`,
        "keyVaultSecretsUser",
        identity.principalId,
        vaultSecret(secret).id,
        subscriptionId,
        opts,
      ),
    blobIdentity: (name, clientId) => [
      { name: `${name}__blobServiceUri`, value: store.account.primaryEndpoints.blob },
      { name: `${name}__credential`, value: "managedidentity" },
      { name: `${name}__clientId`, value: clientId },
    ],
  };
}
