/** One Azure environment of the topology: network, routers, registry store, functions, wired. */

import * as authorization from "@pulumi/azure-native/authorization/index.js";
import { Provider } from "@pulumi/azure-native/provider.js";
import * as pulumi from "@pulumi/pulumi";
import type { EnvironmentOutputs } from "../aws/environment.ts";
import {
  clientListenerCa,
  type DeployedEnvironment,
  type Project,
  peerFacingInteriors,
} from "../project.ts";
import { routerConfigTexts } from "../router-config-texts.ts";
import type { StackSettings } from "../settings.ts";
import type { TeamTrigger } from "../triggers.ts";
import { functionApps } from "./function-apps.ts";
import { azureFunctions } from "./functions.ts";
import { containerRegistry } from "./image-pull.ts";
import { azureNetwork } from "./network.ts";
import { azureRegistryStore } from "./registry-store.ts";
import { azureRouters, secretName } from "./routers.ts";
import { azureTriggers } from "./triggers.ts";

export function azureEnvironment(
  project: Project,
  deployed: DeployedEnvironment,
  peerHosts: pulumi.Output<Record<string, string>>,
  settings: StackSettings,
  bundles: (name: string) => string,
  teamTriggers: { triggers: TeamTrigger[]; bridgeImage: string } = {
    triggers: [],
    bridgeImage: "",
  },
): EnvironmentOutputs {
  const { environment } = deployed;
  const env = environment.name;
  const provider = new Provider(`${env}-azure`, { location: environment.region });
  const opts: pulumi.CustomResourceOptions = { provider };
  const client = authorization.getClientConfigOutput({ provider });
  const peerFacing = new Set(peerFacingInteriors(project.topology, env).map((r) => r.id));
  const net = azureNetwork(env, environment.region, settings, opts);
  const configText = routerConfigTexts(project, deployed, peerHosts, settings);
  const routers = azureRouters(
    deployed,
    configText,
    peerFacing,
    net,
    { tenantId: client.tenantId, subscriptionId: client.subscriptionId },
    settings,
    opts,
  );
  const store = azureRegistryStore(env, environment.region, net, opts);
  const apps = functionApps(
    env,
    environment.region,
    bundles,
    net,
    store,
    routers.vault,
    routers.vaultSecret,
    client.subscriptionId,
    opts,
  );
  const edgeRouters = deployed.routers.filter((r) => r.router.mode === "edge");
  const caSecret = (routers: DeployedEnvironment["routers"]) =>
    secretName(clientListenerCa(routers).key);
  const functions = azureFunctions(
    env,
    apps,
    store,
    Object.values(routers.edgeUrls),
    Object.values(routers.managementUrls),
    { edges: caSecret(edgeRouters), all: caSecret(deployed.routers) },
    client.subscriptionId,
    settings,
    opts,
  );
  const triggers = azureTriggers(
    env,
    environment.region,
    teamTriggers.triggers,
    teamTriggers.bridgeImage,
    apps,
    routers,
    net,
    store,
    // Only asked when there is a bridge to give it to.
    () => caSecret(edgeRouters),
    containerRegistry(settings),
    client.subscriptionId,
    settings,
    opts,
  );
  return {
    cloud: "azure",
    environment: env,
    interRouterHosts: routers.interRouterHosts,
    meshUrls: routers.edgeUrls,
    ingressUrl: pulumi.interpolate`https://${functions.ingressHost}/channels/{channel}/messages`,
    registryStore: pulumi.interpolate`${store.account.primaryEndpoints.blob}${store.container.name}/${settings.registryPrefix}`,
    keyVault: routers.vault.name,
    resourceGroup: net.resourceGroup.name,
    triggerFunctions: Object.fromEntries(
      Object.entries(triggers.functionApps).map(([name, site]) => [name, site.name]),
    ),
  };
}
