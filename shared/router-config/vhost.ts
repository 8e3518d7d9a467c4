import type { ChannelRegistry, RegisteredChannel } from "../registry/model.ts";
import type { Router, Topology } from "../topology/index.ts";
import { ROUTERS_VHOST } from "./connections.ts";
import type { RouterEntity } from "./model.ts";
import { generatedName, groupNameFrom } from "./names.ts";
import { compareText, isPolicyUserName, principalsOf } from "./scope.ts";

/** The vhost every client connection falls into (policy.defaultVhost). */
export const DEFAULT_VHOST = "$default";

interface PrincipalRights {
  principal: string;
  /** Channel addresses the principal may send to. */
  targets: string[];
  /** Channel addresses the principal may receive from. */
  sources: string[];
  /** Largest message the principal may send. */
  maxMessageSize: number | undefined;
}

/**
 * `targets`/`sources` value for a set of channel addresses: each address itself and, with
 * the trailing-'*' prefix wildcard, the sub-addresses below it ("sales/orders/eu").
 * Sub-addresses after '.' are not included, so "sales/orders" does not grant "sales/orders.dead".
 */
function addressList(addresses: string[]): string {
  return addresses.flatMap((a) => [a, `${a}/*`]).join(", ");
}

function rightsByPrincipal(
  channels: RegisteredChannel[],
  registry: ChannelRegistry,
  extraPrincipals: { management: string[] },
): PrincipalRights[] {
  const rights = new Map<string, PrincipalRights>();
  const get = (principal: string): PrincipalRights => {
    let entry = rights.get(principal);
    if (entry === undefined) {
      entry = { principal, targets: [], sources: [], maxMessageSize: undefined };
      rights.set(principal, entry);
    }
    return entry;
  };
  for (const channel of channels) {
    for (const producer of channel.producers)
      for (const principal of principalsOf(producer, registry).filter(isPolicyUserName)) {
        const entry = get(principal);
        if (!entry.targets.includes(channel.address)) entry.targets.push(channel.address);
        entry.maxMessageSize = Math.max(entry.maxMessageSize ?? 0, channel.maxMessageSize);
      }
    for (const consumer of channel.consumers)
      for (const principal of principalsOf(consumer, registry).filter(isPolicyUserName)) {
        const entry = get(principal);
        if (!entry.sources.includes(channel.address)) entry.sources.push(channel.address);
      }
  }
  for (const principal of extraPrincipals.management) {
    const entry = get(principal);
    entry.targets.push("$management");
  }
  for (const entry of rights.values()) {
    entry.targets.sort(compareText);
    entry.sources.sort(compareText);
  }
  return [...rights.values()].sort((a, b) => compareText(a.principal, b.principal));
}

function principalSetKey(principals: readonly string[]): string {
  return [...principals].sort(compareText).join("\n");
}

/** Team name per principal set (first team wins), for naming groups after teams. */
function teamsByPrincipals(registry: ChannelRegistry): Map<string, string> {
  const teams = new Map<string, string>();
  for (const t of registry.teams) {
    const key = principalSetKey(t.principals);
    if (t.principals.length > 0 && !teams.has(key)) teams.set(key, t.team);
  }
  return teams;
}

/**
 * Names a user group: the team when the group is exactly one team's principals, else its
 * first principal. A user may belong to one group only (vhostUserGroupSettings.users), so
 * principals with identical rights share a group and every principal is in exactly one.
 */
function groupName(principals: string[], teams: Map<string, string>): string {
  const team = teams.get(principalSetKey(principals));
  return team === undefined ? `user-${groupNameFrom(principals[0] ?? "")}` : `team-${team}`;
}

/**
 * The `policy` singleton that turns vhost policies on, and the `$default` vhost whose user
 * groups let each channel's producers send only to its address and its consumers receive
 * only from it. Unknown users are refused (allowUnknownUser false). Router-to-router and
 * route-container connections are not subject to vhost policy.
 *
 * maxMessageSize: the router enforces it per connection, not per address, so the policy
 * carries the largest of the channels on this router (it also bounds edge→interior
 * transfers) and each group the largest of the channels it may produce to; the exact
 * per-channel limit is the ingress's job.
 */
export function policyEntities(
  channels: RegisteredChannel[],
  registry: ChannelRegistry,
  managementPrincipals: string[],
): RouterEntity[] {
  const rights = rightsByPrincipal(channels, registry, { management: managementPrincipals });
  const byRights = new Map<string, PrincipalRights[]>();
  for (const entry of rights) {
    if (entry.targets.length === 0 && entry.sources.length === 0) continue;
    const key = JSON.stringify([entry.targets, entry.sources, entry.maxMessageSize ?? null]);
    byRights.set(key, [...(byRights.get(key) ?? []), entry]);
  }
  const teams = teamsByPrincipals(registry);
  const groups: [string, Record<string, unknown>][] = [];
  const used = new Set<string>();
  for (const members of byRights.values()) {
    const first = members[0]!;
    const principals = members.map((m) => m.principal);
    const base = groupName(principals, teams);
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
    used.add(name);
    const settings: Record<string, unknown> = { users: principals.join(", "), remoteHosts: "*" };
    if (first.targets.length > 0) settings.targets = addressList(first.targets);
    if (first.sources.length > 0) settings.sources = addressList(first.sources);
    if (first.maxMessageSize !== undefined) settings.maxMessageSize = first.maxMessageSize;
    // Reply-to (dynamic) receivers are needed for request/response; they grant no channel.
    settings.allowDynamicSource = true;
    // Senders must name their target at attach, so the target check above always applies.
    settings.allowAnonymousSender = false;
    groups.push([name, settings]);
  }
  groups.sort(([a], [b]) => compareText(a, b));
  const largest = channels.reduce((max, c) => Math.max(max, c.maxMessageSize), 0);
  const policy: RouterEntity = {
    type: "policy",
    attributes: {
      enableVhostPolicy: true,
      defaultVhost: DEFAULT_VHOST,
      ...(largest > 0 ? { maxMessageSize: largest } : {}),
    },
  };
  const vhost: RouterEntity = {
    type: "vhost",
    attributes: {
      name: generatedName.vhost(DEFAULT_VHOST),
      hostname: DEFAULT_VHOST,
      allowUnknownUser: false,
      groups: Object.fromEntries(groups),
    },
  };
  return [policy, vhost];
}

/**
 * The vhost of an interior's edge listener: edge routers attach links for all their
 * clients, anonymous senders and dynamic sources included, and forward their clients'
 * user-ids, so their group may do all of it. Its users are the edge routers that uplink
 * here, named by their certificate's common name (EXTERNAL, sslProfile uidFormat `n`).
 * Without authentication on the listener every peer comes in as an unknown user: then
 * unknown users get the same rights (a local mesh's `insecure` listener).
 */
export function routersVhostEntity(router: Router, topology: Topology): RouterEntity[] {
  const edge = router.listeners.edge;
  if (router.mode !== "interior" || edge === undefined) return [];
  const edges = topology.routers
    .filter((r) => r.mode === "edge" && r.uplinks.includes(router.id))
    .map((r) => r.id)
    .sort(compareText);
  const rights = {
    remoteHosts: "*",
    sources: "*",
    targets: "*",
    allowDynamicSource: true,
    allowAnonymousSender: true,
    allowUserIdProxy: true,
  };
  const groups: Record<string, unknown> = {};
  if (edges.length > 0) groups["edge-routers"] = { users: edges.join(", "), ...rights };
  const authenticated = edge.authenticatePeer;
  if (!authenticated) groups.$default = rights;
  return [
    {
      type: "vhost",
      attributes: {
        name: generatedName.vhost(ROUTERS_VHOST),
        hostname: ROUTERS_VHOST,
        allowUnknownUser: !authenticated,
        groups,
      },
    },
  ];
}
