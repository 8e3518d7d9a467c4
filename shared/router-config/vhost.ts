import {
  addressSegments,
  type ChannelRegistry,
  PROBE_ADDRESS,
  PROBE_PRINCIPAL,
  partyResolver,
  type RegisteredChannel,
} from "../registry/index.ts";
import type { RouterFlavour } from "../router-vocabulary/index.ts";
import type { Router, Topology } from "../topology/index.ts";
import { ROUTERS_VHOST } from "./connections.ts";
import type { RouterEntity } from "./model.ts";
import { generatedName, groupNameFrom } from "./names.ts";
import { hasQueueOutlet, queueOutletAddress } from "./queue-outlet.ts";
import { compareText, isPolicyUserName, routersInScope } from "./scope.ts";

/** The vhost every client connection falls into (policy.defaultVhost). */
export const DEFAULT_VHOST = "$default";

interface PrincipalRights {
  principal: string;
  /** Address patterns (policy `targets` entries) the principal may send to. */
  targets: Set<string>;
  /** Address patterns (policy `sources` entries) the principal may receive from. */
  sources: Set<string>;
  /** May open a dynamic (reply-to) receiver: it requests on a replyTo channel or manages. */
  dynamicSource: boolean;
  /** Largest message the principal may send. */
  maxMessageSize: number | undefined;
}

/**
 * The policy entries that stand for one channel. The router matches a `sources`/`targets`
 * entry as text: exactly, or with a trailing `*` as a character prefix (qdrouterd policy.c
 * `_qd_policy_approve_link_name`). So each channel gets its exact address, and the wildcard
 * `<address>/*` for its sub-addresses only when no other registered channel lies below it:
 * routers treat `.` and `/` alike, so `sales/orders/*` would also admit `sales/orders/dead`,
 * which is the channel `sales/orders.dead`. A channel with channels below it is granted its
 * exact address only (its other sub-addresses are refused: narrower, never wider).
 */
export function channelPolicyEntries(
  channel: RegisteredChannel,
  registry: ChannelRegistry,
  above: ReadonlySet<string> = addressesAbove(registry),
): string[] {
  const hasChannelBelow = above.has(addressSegments(channel.address).join("/"));
  return hasChannelBelow ? [channel.address] : [channel.address, `${channel.address}/*`];
}

/**
 * Every proper prefix (whole segments, joined with `/`) of every registered address: a
 * channel has another channel below it exactly when its own segments are in this set. One
 * pass over the registry, instead of comparing each channel with every other.
 */
export function addressesAbove(registry: ChannelRegistry): Set<string> {
  const above = new Set<string>();
  for (const other of registry.channels) {
    const segments = addressSegments(other.address);
    for (let length = 0; length < segments.length; length++)
      above.add(segments.slice(0, length).join("/"));
  }
  return above;
}

/**
 * Where replies to a requester on `router` go: the router hands out `amqp:/_topo/0/<id>/temp.<x>`
 * on an interior and `amqp:/_edge/<id>/temp.<x>` on an edge (address_lookup_client.c
 * `qdr_generate_temp_addr`, the same in qdrouterd 1.19 and skupper-router 3.5, area "0",
 * no network id). Only temporary addresses: `_topo/0/<id>/$management` stays out of reach.
 * This is as narrow as the routers allow: policy patterns are text with a trailing `*`, so a
 * grant cannot name one requester's address. What keeps a responder from other
 * conversations is that each temporary address ends in a random 15-character discriminator
 * (qd_generate_discriminator) it only learns from a request's reply-to; the grant goes only
 * to consumers of a replyTo channel that has requesters (producers), on its routers.
 */
export function replyAddressEntry(router: Router): string {
  return router.mode === "edge"
    ? `amqp:/_edge/${router.id}/temp.*`
    : `amqp:/_topo/0/${router.id}/temp.*`;
}

function rightsByPrincipal(
  channels: RegisteredChannel[],
  registry: ChannelRegistry,
  topology: Topology,
  managementPrincipals: string[],
  flavour: RouterFlavour,
): PrincipalRights[] {
  const rights = new Map<string, PrincipalRights>();
  const get = (principal: string): PrincipalRights => {
    let entry = rights.get(principal);
    if (entry === undefined) {
      entry = {
        principal,
        targets: new Set(),
        sources: new Set(),
        dynamicSource: false,
        maxMessageSize: undefined,
      };
      rights.set(principal, entry);
    }
    return entry;
  };
  // One reading of producers/consumers for every part (shared/registry/parties.ts).
  const parties = partyResolver(registry);
  const principalsIn = (entries: string[]): string[] =>
    parties.principalsIn(entries).filter(isPolicyUserName);
  const above = addressesAbove(registry);
  for (const channel of channels) {
    const entries = channelPolicyEntries(channel, registry, above);
    for (const principal of principalsIn(channel.producers)) {
      const entry = get(principal);
      for (const e of entries) entry.targets.add(e);
      entry.maxMessageSize = Math.max(entry.maxMessageSize ?? 0, channel.maxMessageSize);
      // A requester receives its replies on a dynamic (router-named) address.
      if (channel.replyTo) entry.dynamicSource = true;
    }
    // A responder sends each reply to the requester's dynamic address, on any router of the
    // channel; without a requester there is nobody to reply to, and no grant.
    const replies =
      channel.replyTo && principalsIn(channel.producers).length > 0
        ? routersInScope(channel, topology).map(replyAddressEntry)
        : [];
    // A broker channel on skupper-router: consumers read the queue's outlet, never the
    // channel's own address, where the out autoLink takes the producers' messages to the queue.
    const sources = hasQueueOutlet(channel, flavour)
      ? entries.map((e) => (e === channel.address ? queueOutletAddress(e) : e))
      : entries;
    for (const principal of principalsIn(channel.consumers)) {
      const entry = get(principal);
      for (const e of sources) entry.sources.add(e);
      for (const e of replies) entry.targets.add(e);
    }
  }
  // `amqp-mesh verify`: its principal sends to and receives from the probe channel, nothing
  // else; the registry refuses teams every name and address in the platform's namespace.
  const probe = get(PROBE_PRINCIPAL);
  probe.targets.add(`${PROBE_ADDRESS}/*`);
  probe.sources.add(`${PROBE_ADDRESS}/*`);
  // config-sync: requests to $management, replies on a dynamic receiver.
  for (const principal of managementPrincipals) {
    const entry = get(principal);
    entry.targets.add("$management");
    entry.dynamicSource = true;
  }
  return [...rights.values()].sort((a, b) => compareText(a.principal, b.principal));
}

/** The entries in compareText order (UTF-16 code units: the default sort of strings, faster). */
function sortedList(entries: Set<string>): string {
  return [...entries].sort().join(", ");
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
  topology: Topology,
  managementPrincipals: string[],
  flavour: RouterFlavour,
): RouterEntity[] {
  const rights = rightsByPrincipal(channels, registry, topology, managementPrincipals, flavour);
  const byRights = new Map<
    string,
    { targets: string; sources: string; members: PrincipalRights[] }
  >();
  for (const entry of rights) {
    if (entry.targets.size === 0 && entry.sources.size === 0 && !entry.dynamicSource) continue;
    const targets = sortedList(entry.targets);
    const sources = sortedList(entry.sources);
    const key = JSON.stringify([
      targets,
      sources,
      entry.dynamicSource,
      entry.maxMessageSize ?? null,
    ]);
    const same = byRights.get(key);
    if (same === undefined) byRights.set(key, { targets, sources, members: [entry] });
    else same.members.push(entry);
  }
  const teams = teamsByPrincipals(registry);
  const groups: [string, Record<string, unknown>][] = [];
  const used = new Set<string>();
  for (const { targets, sources, members } of byRights.values()) {
    const first = members[0]!;
    const principals = members.map((m) => m.principal);
    const base = groupName(principals, teams);
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
    used.add(name);
    const settings: Record<string, unknown> = { users: principals.join(", "), remoteHosts: "*" };
    if (first.targets.size > 0) settings.targets = targets;
    if (first.sources.size > 0) settings.sources = sources;
    if (first.maxMessageSize !== undefined) settings.maxMessageSize = first.maxMessageSize;
    // Dynamic (reply-to) receivers only for requesters; written out, though false is the default.
    settings.allowDynamicSource = first.dynamicSource;
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
