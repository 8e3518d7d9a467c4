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
 * The SASL user names a producers/consumers entry stands for: a team name means all its
 * principals; anything else is taken as a principal name itself.
 */
export function principalsOf(entry: string, registry: ChannelRegistry): string[] {
  const team = registry.teams.find((t) => t.team === entry);
  return team === undefined ? [entry] : team.principals;
}

/** principalsOf for many entries of one registry: its teams are looked up once. */
export function principalsResolver(registry: ChannelRegistry): (entry: string) => string[] {
  const byTeam = new Map<string, string[]>();
  // The first team of a name wins, as in principalsOf.
  for (const team of registry.teams)
    if (!byTeam.has(team.team)) byTeam.set(team.team, team.principals);
  return (entry) => byTeam.get(entry) ?? [entry];
}

/**
 * Whether the router can name this user in a vhost group: `users` is a comma-separated
 * list (qdrouterd policy_local.py splits it at ',' and strips spaces).
 */
export function isPolicyUserName(principal: string): boolean {
  return principal !== "" && !principal.includes(",") && principal === principal.trim();
}
