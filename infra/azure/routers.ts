/**
 * The routers of an Azure environment: Log Analytics, a Container Apps environment on the
 * VNet, a Key Vault holding the certificates, keys and SASL database, and one Container App
 * per router (one replica) with TCP ingress — external only for the inter-router listener
 * the other cloud dials, behind IP restrictions. Key Vault secrets reach the container as
 * files (a secret volume); the entrypoint copies them into place and execs the router.
 */

import * as app from "@pulumi/azure-native/app/index.js";
import * as keyvault from "@pulumi/azure-native/keyvault/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { DeployedEnvironment, DeployedRouter } from "../project.ts";
import { entrypointCommand, entrypointEnvironment, SECRET_MOUNT } from "../router/entrypoint.ts";
import type { StackSettings } from "../settings.ts";
import { containerRegistry, pullGrant } from "./image-pull.ts";
import type { AzureNetwork } from "./network.ts";
import { assignRole } from "./roles.ts";

export interface AzureRouters {
  /** Edge router id → amqps URL inside the VNet (functions and bridges). */
  edgeUrls: Record<string, string>;
  /** Router id → amqps URL of its client listener (config-sync's targets). */
  managementUrls: Record<string, string>;
  /** Interior id → its public name (the other cloud's connectors dial it). */
  interRouterHosts: Record<string, pulumi.Output<string>>;
  vault: keyvault.Vault;
  /**
   * A Key Vault secret of the environment by name, declared once (a placeholder: its value is
   * set outside Pulumi), so that a role can be scoped to it before it is filled.
   */
  vaultSecret: (name: string) => keyvault.Secret;
  /** The Container Apps environment on the VNet, where the bridges run beside the routers. */
  environment: app.ManagedEnvironment;
}

/**
 * The value a declared Key Vault secret holds until it is set: the router entrypoint refuses it
 * (not PEM, not base64), the bridge entrypoint by its prefix `unset: `.
 */
export const unsetSecretPlaceholder = (name: string) =>
  `unset: az keyvault secret set --name ${name}`;

/** Key Vault and Container Apps secret names: lower-case letters, digits and '-'. */
export function secretName(...parts: string[]): string {
  return parts
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-");
}

export function azureRouters(
  deployed: DeployedEnvironment,
  configText: (routerId: string) => pulumi.Input<string>,
  peerFacing: Set<string>,
  net: AzureNetwork,
  client: { tenantId: pulumi.Input<string>; subscriptionId: pulumi.Input<string> },
  settings: StackSettings,
  opts: pulumi.CustomResourceOptions,
): AzureRouters {
  const env = deployed.environment.name;
  const location = deployed.environment.region;
  const resourceGroupName = net.resourceGroup.name;
  const logs = new operationalinsights.Workspace(
    `${env}-logs`,
    {
      resourceGroupName,
      location,
      retentionInDays: settings.logRetentionDays,
      sku: { name: "PerGB2018" },
    },
    opts,
  );
  const logKeys = operationalinsights.getSharedKeysOutput({
    resourceGroupName,
    workspaceName: logs.name,
  });
  const environment = new app.ManagedEnvironment(
    `${env}-routers`,
    {
      resourceGroupName,
      location,
      vnetConfiguration: {
        infrastructureSubnetId: net.routersSubnetId,
        // Internal unless an interior must be reachable from the other cloud.
        internal: peerFacing.size === 0,
      },
      workloadProfiles: [{ name: "Consumption", workloadProfileType: "Consumption" }],
      // Replicas spread over the region's zones: the two interiors do not share one.
      zoneRedundant: true,
      appLogsConfiguration: {
        destination: "log-analytics",
        logAnalyticsConfiguration: {
          customerId: logs.customerId,
          sharedKey: pulumi.secret(logKeys.apply((k) => k.primarySharedKey ?? "")),
        },
      },
    },
    opts,
  );
  const vault = new keyvault.Vault(
    `${env}-kv`,
    {
      resourceGroupName,
      location,
      properties: {
        tenantId: client.tenantId,
        sku: { family: "A", name: "standard" },
        enableRbacAuthorization: true,
        enablePurgeProtection: true,
        softDeleteRetentionInDays: 30,
      },
    },
    opts,
  );
  // The secrets exist from the start (placeholders the entrypoint refuses as not PEM/base64);
  // their values are set and rotated outside Pulumi (`az keyvault secret set`), never in state.
  const vaultSecrets = new Map<string, keyvault.Secret>();
  const vaultSecret = (name: string) => {
    let secret = vaultSecrets.get(name);
    if (secret === undefined) {
      secret = new keyvault.Secret(
        `${env}-${name}`,
        {
          resourceGroupName,
          vaultName: vault.name,
          secretName: name,
          properties: { value: pulumi.secret(unsetSecretPlaceholder(name)) },
        },
        { ...opts, ignoreChanges: ["properties.value"] },
      );
      vaultSecrets.set(name, secret);
    }
    return secret;
  };

  const registry = containerRegistry(settings);
  const edgeUrls: AzureRouters["edgeUrls"] = {};
  const managementUrls: AzureRouters["managementUrls"] = {};
  const interRouterHosts: AzureRouters["interRouterHosts"] = {};
  for (const deployedRouter of deployed.routers) {
    const { router, ports } = deployedRouter;
    const identity = new managedidentity.UserAssignedIdentity(
      `${router.id}-identity`,
      { resourceGroupName, location },
      opts,
    );
    const secrets = routerSecrets(deployedRouter);
    const reads = secrets.map((secret) =>
      assignRole(
        `${router.id}-reads-${secret.vaultName}`,
        "keyVaultSecretsUser",
        identity.principalId,
        vaultSecret(secret.vaultName).id,
        client.subscriptionId,
        opts,
      ),
    );
    const external = peerFacing.has(router.id) && ports.interRouter !== undefined;
    const additional = [
      ...(ports.interRouter !== undefined
        ? [{ external, targetPort: ports.interRouter, exposedPort: ports.interRouter }]
        : []),
      ...(ports.edge !== undefined
        ? [{ external: false, targetPort: ports.edge, exposedPort: ports.edge }]
        : []),
    ];
    const restrictions = external
      ? [
          ...settings.peerEgressCidrs.map((cidr, i) => ({
            name: `peer-${i + 1}`,
            action: "Allow",
            ipAddressRange: cidr,
            description: "the other cloud's egress",
          })),
          { name: "vnet", action: "Allow", ipAddressRange: net.vnetCidr, description: "this VNet" },
        ]
      : [];
    const pull = pullGrant(
      router.id,
      deployedRouter.image,
      identity,
      registry,
      client.subscriptionId,
      opts,
    );
    const plain = entrypointEnvironment(deployedRouter, settings.runDir, "");
    delete plain.MESH_ROUTER_CONFIG;
    const containerApp = new app.ContainerApp(
      `${router.id}`,
      {
        resourceGroupName,
        location,
        containerAppName: router.id,
        managedEnvironmentId: environment.id,
        workloadProfileName: "Consumption",
        identity: {
          type: "UserAssigned",
          userAssignedIdentities: [identity.id],
        },
        configuration: {
          activeRevisionsMode: "Single",
          ingress: {
            external: false,
            transport: "tcp",
            targetPort: ports.clients!,
            exposedPort: ports.clients!,
            additionalPortMappings: additional,
            ipSecurityRestrictions: restrictions,
          },
          secrets: secrets.map((s) => ({
            name: s.appSecret,
            keyVaultUrl: pulumi.interpolate`${vault.properties.vaultUri}secrets/${s.vaultName}`,
            identity: identity.id,
          })),
          registries: pull.registries,
        },
        template: {
          scale: { minReplicas: 1, maxReplicas: 1 },
          containers: [
            {
              name: "router",
              image: deployedRouter.image,
              command: entrypointCommand().slice(0, 1),
              args: entrypointCommand().slice(1),
              resources: {
                cpu: settings.routerCpu / 1024,
                memory: `${settings.routerMemory / 1024}Gi`,
              },
              env: [
                { name: "MESH_ROUTER_CONFIG", value: configText(router.id) },
                ...Object.entries(plain).map(([name, value]) => ({ name, value })),
                ...secrets
                  .filter((s) => s.file)
                  .map((s) => ({
                    name: `${s.variable}_FILE`,
                    value: `${SECRET_MOUNT}/${s.appSecret}`,
                  })),
                ...secrets
                  .filter((s) => !s.file)
                  .map((s) => ({ name: s.variable, secretRef: s.appSecret })),
              ],
              volumeMounts: [{ volumeName: "secrets", mountPath: SECRET_MOUNT }],
            },
          ],
          volumes: [
            {
              name: "secrets",
              storageType: "Secret",
              secrets: secrets
                .filter((s) => s.file)
                .map((s) => ({ secretRef: s.appSecret, path: s.appSecret })),
            },
          ],
        },
      },
      // A revision resolves its Key Vault secrets and pulls its image as it starts: after its
      // identity may.
      { ...opts, dependsOn: [...reads, ...pull.dependsOn] },
    );
    const internal = `${router.id}`;
    managementUrls[router.id] = `amqps://${internal}:${ports.clients!}`;
    if (router.mode === "edge") edgeUrls[router.id] = `amqps://${internal}:${ports.clients!}`;
    if (external)
      interRouterHosts[router.id] = containerApp.latestRevisionFqdn.apply((fqdn) =>
        // the app's public name (without the revision suffix)
        fqdn.replace(/--[^.]+/, ""),
      );
  }
  return { edgeUrls, managementUrls, interRouterHosts, vault, vaultSecret, environment };
}

interface RouterSecret {
  variable: string;
  vaultName: string;
  appSecret: string;
  /** Mounted as a file (certificates, keys, SASL database) or an environment variable. */
  file: boolean;
}

function routerSecrets(router: DeployedRouter): RouterSecret[] {
  const files = router.files
    .filter((f) => f.content === undefined)
    .map((f) => {
      const vaultName =
        f.scope === "router" ? secretName(router.router.id, f.key) : secretName(f.key);
      return { variable: f.variable, vaultName, appSecret: vaultName, file: true };
    });
  const variables = router.secretVariables.map((name) => ({
    variable: name,
    vaultName: secretName(name),
    appSecret: secretName(name),
    file: false,
  }));
  return [...files, ...variables];
}
