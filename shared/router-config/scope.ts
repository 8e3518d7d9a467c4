import type { ChannelRegistry, RegisteredChannel } from "../registry/model.ts";
import type { Router, Topology } from "../topology/index.ts";

/** A channel exists on every router of its environments (all environments when unset). */
export function isInScope(channel: RegisteredChannel, router: Router): boolean {
  return channel.environments === undefined || channel.environments.includes(router.environment);
}

export function routersInScope(channel: RegisteredChannel, topology: Topology): Router[] {
  return topology.routers.filter((r) => isInScope(channel, r));
}

/** Channels in a fixed order (address, then owner) so output never depends on file order. */
export function sortedChannels(registry: ChannelRegistry): RegisteredChannel[] {
  return [...registry.channels].sort(
    (a, b) => compareText(a.address, b.address) || compareText(a.owner, b.owner),
  );
}

/** Code-point order: locale-independent, so the same input gives the same bytes anywhere. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether the router can name this user in a vhost group: `users` is a comma-separated
 * list (qdrouterd policy_local.py splits it at ',' and strips spaces).
 */
export function isPolicyUserName(principal: string): boolean {
  return principal !== "" && !principal.includes(",") && principal === principal.trim();
}
