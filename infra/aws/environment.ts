/** One AWS environment of the topology: network, routers, registry store, functions, wired. */

import { Provider } from "@pulumi/aws/provider.js";
import * as pulumi from "@pulumi/pulumi";
import {
  clientListenerCa,
  type DeployedEnvironment,
  dialledPeers,
  type Project,
  peerFacingInteriors,
} from "../project.ts";
import { routerConfigTexts } from "../router-config-texts.ts";
import type { StackSettings } from "../settings.ts";
import type { TeamTrigger } from "../triggers.ts";
import { type AwsFunctionSecrets, awsFunctions } from "./functions.ts";
import { awsNetwork } from "./network.ts";
import { awsRegistryStore, wireRegistryEvents } from "./registry-store.ts";
import { awsRouters } from "./routers.ts";
import { awsSecurityGroups, peerDialEgress } from "./security-groups.ts";
import { awsTriggers } from "./triggers.ts";

export interface EnvironmentOutputs {
  [name: string]: pulumi.Input<unknown>;
}

export function awsEnvironment(
  project: Project,
  deployed: DeployedEnvironment,
  peerHosts: pulumi.Output<Record<string, string>>,
  settings: StackSettings,
  secrets: AwsFunctionSecrets,
  bundles: (name: string) => string,
  teamTriggers: { triggers: TeamTrigger[]; bridgeImage: string } = {
    triggers: [],
    bridgeImage: "",
  },
): EnvironmentOutputs {
  const { environment, topology } = deployed;
  const env = environment.name;
  const provider = new Provider(`${env}-aws`, {
    region: environment.region as never,
    defaultTags: { tags: { "amqp-mesh:environment": env } },
  });
  const opts: pulumi.CustomResourceOptions = { provider };
  const peerFacing = peerFacingInteriors(project.topology, env);
  const peerFacingPorts = [
    ...new Set(peerFacing.map((r) => r.listeners.interRouter?.port).filter((p) => p !== undefined)),
  ];
  const network = awsNetwork(env, environment.region, settings, opts);
  const groups = awsSecurityGroups(
    deployed,
    network,
    peerFacingPorts,
    settings.peerEgressCidrs,
    opts,
  );
  peerDialEgress(
    env,
    groups.interiors,
    [...new Set(dialledPeers(topology, env).map((r) => r.listeners.interRouter!.port))],
    opts,
  );
  const configText = routerConfigTexts(project, deployed, peerHosts, settings);
  const routers = awsRouters(
    deployed,
    configText,
    new Set(peerFacing.map((r) => r.id)),
    network,
    groups,
    settings,
    opts,
  );
  const store = awsRegistryStore(env, opts);
  const edgeRouters = deployed.routers.filter((r) => r.router.mode === "edge");
  const functions = awsFunctions(
    env,
    bundles,
    network,
    groups,
    store,
    Object.values(routers.edgeUrls),
    Object.values(routers.managementUrls),
    secrets,
    routers.caSecrets[clientListenerCa(edgeRouters).key]!,
    routers.caSecrets[clientListenerCa(deployed.routers).key]!,
    settings,
    opts,
  );
  wireRegistryEvents(env, store, functions.sync, settings, opts);
  const triggers = awsTriggers(
    env,
    environment.region,
    teamTriggers.triggers,
    teamTriggers.bridgeImage,
    bundles,
    routers.cluster,
    network,
    groups,
    store,
    Object.values(routers.edgeUrls),
    // Only asked when there is a bridge to give it to.
    () => routers.caSecrets[clientListenerCa(edgeRouters).key]!,
    settings,
    opts,
  );
  return {
    cloud: "aws",
    environment: env,
    interRouterHosts: routers.interRouterHosts,
    egressCidrs: network.egressIp ? [pulumi.interpolate`${network.egressIp}/32`] : [],
    meshUrls: routers.edgeUrls,
    apiUrl: functions.apiUrl,
    registryStore: pulumi.interpolate`s3://${store.bucket.bucket}/${settings.registryPrefix}`,
    ingressFunction: functions.ingress.name,
    syncFunction: functions.sync.name,
    triggerFunctions: Object.fromEntries(
      Object.entries(triggers.functions).map(([name, fn]) => [name, fn.name]),
    ),
  };
}
