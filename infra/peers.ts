/**
 * Where this environment's interiors find the other environments' interiors they dial: the
 * stack config's `peerEndpoints`, else the `interRouterHosts` output of the other
 * environment's stack (StackReference). The link costs stay the topology's: only the host of
 * each connector comes from here.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Topology } from "../shared/topology/index.ts";
import { dialledPeers } from "./project.ts";
import type { StackSettings } from "./settings.ts";

export const PEER_HOSTS_OUTPUT = "interRouterHosts";

export function peerHosts(
  topology: Topology,
  environment: string,
  settings: StackSettings,
): pulumi.Output<Record<string, string>> {
  const peers = dialledPeers(topology, environment);
  const fromConfig: Record<string, string> = {};
  const byStack = new Map<string, string[]>();
  for (const router of peers) {
    const configured = settings.peerEndpoints[router.id];
    if (configured !== undefined) fromConfig[router.id] = configured;
    else byStack.set(router.environment, [...(byStack.get(router.environment) ?? []), router.id]);
  }
  const prefix = () =>
    settings.peerStackPrefix ?? `${pulumi.getOrganization()}/${pulumi.getProject()}/`;
  const fromStacks = [...byStack.entries()].map(([peerEnvironment, ids]) => {
    const reference = new pulumi.StackReference(`${prefix()}${peerEnvironment}`);
    return reference.getOutput(PEER_HOSTS_OUTPUT).apply((hosts: unknown) => {
      const found: Record<string, string> = {};
      for (const id of ids) {
        const host = (hosts as Record<string, unknown> | undefined)?.[id];
        if (typeof host === "string") found[id] = host;
      }
      return found;
    });
  });
  return pulumi
    .all(fromStacks)
    .apply((maps) => Object.assign({}, ...maps, fromConfig) as Record<string, string>);
}
