/**
 * The mesh as its users see it, from the routers' latest samples and the project: routers by
 * cloud and region with their state, the links between them with costs and state, and each
 * registered channel with its owner, producers and consumers per router, message counts and
 * rates, and outcomes. A pure function of its inputs; rates come from a RateMeter that
 * remembers the previous totals.
 */
import { addressSegments, type ChannelRegistry } from "../registry/index.ts";
import type { Topology } from "../topology/index.ts";
import type { RouterSample } from "./sample.ts";

export type RouterState = "up" | "down" | "unknown";

/** What the poller knows of one router. */
export interface RouterStatus {
  /** The router's id: from the topology by URL, or as it answered. */
  id: string;
  url: string;
  state: RouterState;
  /** Why it is down (the last error), when it is. */
  error: string | undefined;
  /** The last good reading, kept while the router is down (for its uptime before). */
  sample: RouterSample | undefined;
  /** When the router last answered, ms since the epoch. */
  lastSeenAt: number | undefined;
  drift: RouterDrift | undefined;
}

export interface DriftEntry {
  type: string;
  name: string;
  /** wanted: the registry wants it and the router lacks it; unwanted: the reverse; changed. */
  kind: "missing" | "unwanted" | "changed";
  detail: string;
}

export interface RouterDrift {
  checkedAt: number;
  entries: DriftEntry[];
  /** Why drift could not be judged (the registry cannot be generated for this router...). */
  problem: string | undefined;
}

export interface RouterView {
  id: string;
  url: string;
  environment: string | undefined;
  cloud: string | undefined;
  region: string | undefined;
  mode: "interior" | "edge" | undefined;
  state: RouterState;
  error: string | undefined;
  version: string | undefined;
  flavour: string | undefined;
  uptimeSeconds: number | undefined;
  lastSeenAt: string | undefined;
  clientConnections: number;
  /** Links and connections its policy denied since it started (unauthorized attaches...). */
  denials: { links: number; connections: number } | undefined;
  drift: RouterDrift | undefined;
  /** Not in the topology: a router the registry knows nothing of. */
  unknown: boolean;
}

export interface LinkView {
  from: string;
  to: string;
  kind: "inter-router" | "edge";
  cost: number | undefined;
  state: "up" | "down";
}

export interface PerRouterCount {
  router: string;
  consumers: number;
  producers: number;
}

export interface ChannelView {
  address: string;
  owner: string;
  distribution: string;
  delivery: string;
  deadLetter: string | undefined;
  /** A broker queue holds the channel's messages (qdrouterd linkRoute). */
  broker: string | undefined;
  consumers: number;
  producers: number;
  perRouter: PerRouterCount[];
  /**
   * Deliveries into the mesh from producers and out of it to consumers, as counted by the
   * routers where the channel's clients are attached (now, or within the last 5 s), since
   * those routers started.
   */
  messagesIn: number;
  messagesOut: number;
  /** Per second, over the last two readings. */
  rateIn: number;
  rateOut: number;
  released: number;
  rejected: number;
  modified: number;
  /** A broker channel: how many messages wait in its queue (or why that is not known). */
  queueDepth: QueueDepthView | undefined;
  /**
   * The depth of the dead-letter channel's queue, where a broker holds it (the dead-letter
   * channel is a broker channel); undefined: no dead-letter channel, or one routed without a
   * queue (its messages go straight to its consumers).
   */
  deadLetterDepth: QueueDepthView | undefined;
}

/** A queue's depth as last read from its broker, or why it is not known. */
export interface QueueDepthView {
  broker: string;
  queue: string;
  /** Messages waiting in the queue; undefined when `unknown`. */
  messages: number | undefined;
  /** Why the depth is not known (the broker does not answer, refuses the login or the queue…). */
  unknown: string | undefined;
  /** When the broker answered, ISO 8601. */
  readAt: string | undefined;
}

export interface MeshView {
  at: string;
  routers: RouterView[];
  links: LinkView[];
  channels: ChannelView[];
  /** Routers up / known. */
  summary: { up: number; routers: number; channels: number; drift: number };
}

export interface ObservedProject {
  registry: ChannelRegistry;
  topology: Topology;
}

/** The registered channel an address belongs to: the one whose address is its longest prefix (whole segments). */
export function channelOf(
  address: string,
  channels: readonly { address: string }[],
): string | undefined {
  const segments = addressSegments(address);
  let best: { address: string; length: number } | undefined;
  for (const channel of channels) {
    const own = addressSegments(channel.address);
    if (own.length > segments.length || (best && own.length <= best.length)) continue;
    if (own.every((s, i) => s === segments[i]))
      best = { address: channel.address, length: own.length };
  }
  return best?.address;
}

/** How long a router's counters still count for a channel after its last client there left. */
export const CLIENT_MEMORY_MS = 5_000;

interface Totals {
  in: number;
  out: number;
}

/**
 * Message rates from counters read at intervals. Counters are per router and address
 * (router.address) and per link (router.link); a counter that went back (a restart, a link
 * gone) counts from zero again, never as a negative rate.
 */
export class RateMeter {
  #previous = new Map<string, { at: number; totals: Totals; rate: Totals }>();
  #clientsSeen = new Map<string, { in: number; out: number }>();

  /** Whether clients produced (in) or consumed (out) at `key` at `at` or within CLIENT_MEMORY_MS before. */
  clients(
    key: string,
    at: number,
    now: { in: boolean; out: boolean },
  ): { in: boolean; out: boolean } {
    const seen = this.#clientsSeen.get(key) ?? { in: -Infinity, out: -Infinity };
    if (now.in) seen.in = Math.max(seen.in, at);
    if (now.out) seen.out = Math.max(seen.out, at);
    this.#clientsSeen.set(key, seen);
    return { in: at - seen.in <= CLIENT_MEMORY_MS, out: at - seen.out <= CLIENT_MEMORY_MS };
  }

  /**
   * The rate since the previous reading of `key`, per second; the same reading asked again
   * (the view is rebuilt when any router answers) gives the same rate.
   */
  rate(key: string, at: number, totals: Totals): Totals {
    const before = this.#previous.get(key);
    if (before !== undefined && at === before.at) return before.rate;
    let rate: Totals = { in: 0, out: 0 };
    if (before !== undefined && at > before.at) {
      const seconds = (at - before.at) / 1000;
      const delta = (now: number, then: number) => (now >= then ? now - then : now);
      rate = {
        in: delta(totals.in, before.totals.in) / seconds,
        out: delta(totals.out, before.totals.out) / seconds,
      };
    }
    this.#previous.set(key, { at, totals, rate });
    return rate;
  }
}

function routerView(status: RouterStatus, topology: Topology): RouterView {
  const known = topology.routers.find((r) => r.id === status.id);
  const environment = topology.environments.find((e) => e.name === known?.environment);
  const sample = status.sample;
  return {
    id: status.id,
    url: status.url,
    environment: known?.environment,
    cloud: environment?.cloud,
    region: environment?.region,
    mode: sample?.mode ?? known?.mode,
    state: status.state,
    error: status.error,
    version: sample?.version,
    flavour: sample?.flavour,
    uptimeSeconds: status.state === "up" ? sample?.uptimeSeconds : undefined,
    lastSeenAt:
      status.lastSeenAt === undefined ? undefined : new Date(status.lastSeenAt).toISOString(),
    clientConnections:
      status.state === "up"
        ? (sample?.connections.filter((c) => c.role === "normal").length ?? 0)
        : 0,
    denials: status.state === "up" ? sample?.denials : undefined,
    drift: status.drift,
    unknown: known === undefined,
  };
}

/**
 * The links of the topology with their state: an inter-router link is up when a router at
 * either end lists the other as its neighbour (router.node), an edge uplink when the edge
 * has an `edge` connection to that interior — or, where a router shows no such connection
 * (the emulator links its routers in process), when both ends answer.
 */
function linkViews(topology: Topology, byId: Map<string, RouterStatus>): LinkView[] {
  const up = (id: string) => byId.get(id)?.state === "up";
  const neighbours = (a: string, b: string) =>
    byId.get(a)?.sample?.nodes.some((n) => n.id === b && n.neighbour) === true;
  const links: LinkView[] = topology.links.map((link) => ({
    from: link.from,
    to: link.to,
    kind: "inter-router",
    cost: link.cost,
    state:
      up(link.from) &&
      up(link.to) &&
      (neighbours(link.from, link.to) || neighbours(link.to, link.from))
        ? "up"
        : "down",
  }));
  for (const edge of topology.routers.filter((r) => r.mode === "edge")) {
    const edgeConnections = byId.get(edge.id)?.sample?.connections.filter((c) => c.role === "edge");
    for (const interior of edge.uplinks) {
      let state: "up" | "down" = up(edge.id) && up(interior) ? "up" : "down";
      if (state === "up" && edgeConnections !== undefined && edgeConnections.length > 0)
        state = edgeConnections.some((c) => c.container === interior) ? "up" : "down";
      links.push({ from: edge.id, to: interior, kind: "edge", cost: undefined, state });
    }
  }
  return links;
}

export function buildMeshView(
  project: ObservedProject,
  statuses: readonly RouterStatus[],
  meter: RateMeter,
  now: number = Date.now(),
  /** Broker channel address → its queue's depth. */
  depths: ReadonlyMap<string, QueueDepthView> = new Map(),
): MeshView {
  const { registry, topology } = project;
  const byId = new Map(statuses.map((s) => [s.id, s]));
  const routers = statuses.map((s) => routerView(s, topology));
  const channels = [...registry.channels].sort((a, b) => a.address.localeCompare(b.address));
  const views: ChannelView[] = channels.map((channel) => ({
    address: channel.address,
    owner: channel.owner,
    distribution: channel.distribution,
    delivery: channel.delivery,
    deadLetter: channel.deadLetter,
    broker: channel.routing.kind === "message" ? undefined : channel.routing.broker,
    consumers: 0,
    producers: 0,
    perRouter: [],
    messagesIn: 0,
    messagesOut: 0,
    rateIn: 0,
    rateOut: 0,
    released: 0,
    rejected: 0,
    modified: 0,
    queueDepth: depths.get(channel.address),
    deadLetterDepth:
      channel.deadLetter === undefined
        ? undefined
        : depths.get(channelOf(channel.deadLetter, channels) ?? channel.deadLetter),
  }));
  const byAddress = new Map(views.map((v) => [v.address, v]));
  for (const status of statuses) {
    const sample = status.sample;
    if (status.state !== "up" || sample === undefined) continue;
    // Only clients' links count (a `normal` connection): an interior also has links for the
    // edge routers attached to it, and counts their deliveries again.
    const clientConnections = new Set(
      sample.connections.filter((c) => c.role === "normal").map((c) => c.identity),
    );
    const ownClientsOnly =
      sample.mode === "edge" || !sample.connections.some((c) => c.role === "edge");
    const counts = new Map<string, PerRouterCount>();
    const countOf = (address: string) => {
      let c = counts.get(address);
      if (c === undefined) {
        c = { router: status.id, consumers: 0, producers: 0 };
        counts.set(address, c);
      }
      return c;
    };
    for (const link of sample.links) {
      if (!clientConnections.has(link.connectionId)) continue;
      const address = link.address === undefined ? undefined : channelOf(link.address, channels);
      const view = address === undefined ? undefined : byAddress.get(address);
      if (view === undefined || address === undefined) continue;
      if (link.dir === "out") countOf(address).consumers++;
      else countOf(address).producers++;
      view.released += link.released;
      view.rejected += link.rejected;
      view.modified += link.modified;
    }
    const totals = new Map<string, Totals>();
    for (const row of sample.addresses) {
      const address = channelOf(row.address, channels);
      if (address === undefined) continue;
      const t = totals.get(address) ?? { in: 0, out: 0 };
      t.in += row.ingress;
      t.out += row.egress;
      totals.set(address, t);
    }
    for (const [address, count] of counts) {
      const view = byAddress.get(address)!;
      view.perRouter.push(count);
      view.consumers += count.consumers;
      view.producers += count.producers;
    }
    for (const view of views) {
      const t = totals.get(view.address) ?? { in: 0, out: 0 };
      const key = `${status.id}\n${view.address}`;
      const rate = meter.rate(key, sample.seenAt, t);
      // An edge router, or an interior no edge router is attached to, counts only its own
      // clients' deliveries. An interior with edge routers also counts theirs again (they
      // come in on its edge connections): its counters count only while clients of its own
      // produce (in) or consume (out) there, or did within the last few seconds.
      const here = counts.get(view.address);
      const clients = meter.clients(key, sample.seenAt, {
        in: ownClientsOnly || (here?.producers ?? 0) > 0,
        out: ownClientsOnly || (here?.consumers ?? 0) > 0,
      });
      if (clients.in) {
        view.messagesIn += t.in;
        view.rateIn += rate.in;
      }
      if (clients.out) {
        view.messagesOut += t.out;
        view.rateOut += rate.out;
      }
    }
  }
  for (const view of views) view.perRouter.sort((a, b) => a.router.localeCompare(b.router));
  return {
    at: new Date(now).toISOString(),
    routers,
    links: linkViews(topology, byId),
    channels: views,
    summary: {
      up: routers.filter((r) => r.state === "up").length,
      routers: routers.length,
      channels: views.length,
      drift: routers.reduce((n, r) => n + (r.drift?.entries.length ?? 0), 0),
    },
  };
}
