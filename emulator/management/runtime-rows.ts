/**
 * Rows of the types that show a router's state rather than its configuration — router,
 * routerMetrics and network (skupper-router), connection, router.link, router.address,
 * router.node, allocator — as attribute maps with every column either real router shows
 * (catalog.ts picks and orders them per flavour). Values come from the emulator's own state
 * where it has it; counters it does not keep are 0, as on a router that has carried nothing.
 * Shapes and constants are those recorded from qdrouterd 1.19.0 and skupper-router 3.5.1
 * (test/fixtures/real-router-captures).
 */

import { hostname } from "node:os";
import type { RouterFlavour } from "../../shared/router-vocabulary/index.ts";
import type { PolicyCounters } from "../policy/policy-counters.ts";
import type { ClientConnection } from "../protocol/client-connection.ts";
import { grantedCredit, senderAvailableCredit } from "../protocol/rhea-internals.ts";
import { addressOfKey } from "../routing/address-table.ts";
import { DEFAULT_LINK_CAPACITY } from "../routing/producer-link.ts";
import type { RoutingCore } from "../routing/routing-core.ts";
import type { EntityStore } from "./entity-store.ts";
import type { Attributes, AttributeValue } from "./schema.ts";

/** Versions the emulated routers report (the releases the emulator follows). */
export const ROUTER_VERSION: Record<RouterFlavour, string> = {
  "qpid-dispatch": "1.19.0",
  "skupper-router": "3.5.1",
};

/** What the rows are read from. */
export interface RuntimeView {
  readonly id: string;
  readonly mode: "interior" | "edge";
  readonly flavour: RouterFlavour;
  /** When the router (last) started, ms since the epoch. */
  readonly startedAt: number;
  readonly routing: RoutingCore;
  readonly connections: ClientConnection[];
  /** The listener role a connection came in on, and when it opened (ms). */
  connectionInfo(connection: ClientConnection): { role: string; openedAt: number };
  /** The config file's `router` section. */
  readonly routerAttributes: Readonly<Record<string, unknown>>;
  readonly store: EntityStore;
  readonly agent: { qualified(type: string): string };
  readonly addresses: { lookup(address: string): { distribution: string } };
  readonly brokers: { connectionRows(type: string): Attributes[] };
  /** The config file's `policy` section (none: the router's defaults). */
  readonly policyAttributes: Readonly<Record<string, unknown>>;
  readonly policyCounters: PolicyCounters;
  /** Sockets accepted and still open, all listeners (policy.c n_connections). */
  readonly connectionsCurrent: number;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * qdrouterd names router.address entries by their hash key: `M<phase><address>` for mobile
 * addresses (skupper-router, without phases: `M<address>`), `L<name>` for this router's
 * local ones (`L$management`, temp.*), `R<router>` for another interior, `H<router>` for an
 * edge router.
 */
function addressHashKey(view: RuntimeView, key: string): string {
  const mobile = (phase: string, address: string): string =>
    view.flavour === "skupper-router" ? `M${address}` : `M${phase}${address}`;
  const phased = /^M([01]):(.*)$/.exec(key);
  if (phased) return mobile(phased[1]!, phased[2]!);
  const topo = /^_topo\/0\/([^/]+)\/(.*)$/.exec(key);
  if (!topo) return mobile("0", key);
  if (topo[1] === view.id) return `L${topo[2]}`;
  return view.routing.graph.nodes.get(topo[1]!)?.mode === "edge" ? `H${topo[1]}` : `R${topo[1]}`;
}

/** Management-visible numbers for objects that have none of their own (links). */
const linkIdentities = new WeakMap<object, string>();
let nextLinkIdentity = 1;
function linkIdentity(link: object): string {
  let identity = linkIdentities.get(link);
  if (identity === undefined) {
    identity = String(nextLinkIdentity++);
    linkIdentities.set(link, identity);
  }
  return identity;
}

interface Totals {
  links: number;
  ingress: number;
  egress: number;
  unsettled: number;
}

function totals(view: RuntimeView): Totals {
  const result = { links: 0, ingress: 0, egress: 0, unsettled: 0 };
  for (const c of view.connections) {
    result.links += c.consumers.size + c.producers.size;
    for (const consumer of c.consumers) {
      result.egress += consumer.delivered;
      result.unsettled += consumer.unsettled;
    }
    for (const producer of c.producers) result.ingress += producer.received;
  }
  return result;
}

const ZERO_DELIVERIES = {
  presettledDeliveries: 0,
  droppedPresettledDeliveries: 0,
  rejectedDeliveries: 0,
  releasedDeliveries: 0,
  modifiedDeliveries: 0,
  deliveriesDelayed1Sec: 0,
  deliveriesDelayed10Sec: 0,
  deliveriesStuck: 0,
  deliveriesTransit: 0,
  deliveriesIngressRouteContainer: 0,
  deliveriesEgressRouteContainer: 0,
  deliveriesIngressInterNetwork: 0,
  deliveriesEgressInterNetwork: 0,
  deliveriesRedirectedToFallback: 0,
  linksBlocked: 0,
};

/** Counts both router rows share (qdrouterd `router`, skupper-router `routerMetrics`). */
function routerCounts(view: RuntimeView): Attributes {
  const t = totals(view);
  return {
    addrCount: addressRows(view).length,
    linkCount: t.links,
    nodeCount: Math.max(0, nodeRows(view).length - 1),
    linkRouteCount: view.store.ofType("router.config.linkRoute").length,
    autoLinkCount: view.store.ofType("router.config.autoLink").length,
    connectionCount: connectionRows(view).length,
    ...ZERO_DELIVERIES,
    // The emulator counts deliveries, not their outcomes.
    acceptedDeliveries: 0,
    deliveriesIngress: t.ingress,
    deliveriesEgress: t.egress,
    uptimeSeconds: seconds(Date.now() - view.startedAt),
    memoryUsage: process.memoryUsage().rss,
    workerThreads: 4,
  };
}

function configured(view: RuntimeView, name: string, fallback: AttributeValue): AttributeValue {
  const value = view.routerAttributes[name];
  return value === undefined ? fallback : (value as AttributeValue);
}

/** qdrouterd's `router`: the core agent's row (agent_router.c). */
function qpidRouterRow(view: RuntimeView): Attributes {
  return {
    name: view.id,
    identity: "1",
    id: view.id,
    type: view.agent.qualified("router"),
    mode: view.mode,
    area: "0",
    version: ROUTER_VERSION[view.flavour],
    metadata: configured(view, "metadata", null),
    ...routerCounts(view),
    workerThreads: configured(view, "workerThreads", 4),
  };
}

/** skupper-router's `router`: the Python agent's configuration entity (skrouter.json defaults). */
function skupperRouterRow(view: RuntimeView): Attributes {
  const c = (name: string, fallback: AttributeValue): AttributeValue =>
    configured(view, name, fallback);
  return {
    id: view.id,
    vanId: c("vanId", null),
    mode: view.mode,
    area: "0",
    // The Python entity has no version; skupper-router answers null (the recording).
    version: null,
    hostName: hostname(),
    helloIntervalSeconds: c("helloIntervalSeconds", 1),
    helloMaxAgeSeconds: c("helloMaxAgeSeconds", 3),
    raIntervalSeconds: c("raIntervalSeconds", 30),
    raIntervalFluxSeconds: c("raIntervalFluxSeconds", 4),
    remoteLsMaxAgeSeconds: c("remoteLsMaxAgeSeconds", 60),
    unreachableHoldoffSeconds: c("unreachableHoldoffSeconds", 1),
    workerThreads: c("workerThreads", 4),
    debugDumpFile: c("debugDumpFile", null),
    saslConfigDir: c("saslConfigDir", null),
    saslConfigName: c("saslConfigName", "skrouterd"),
    timestampsInUTC: c("timestampsInUTC", null),
    timestampFormat: c("timestampFormat", null),
    defaultDistribution: c("defaultDistribution", "balanced"),
    metadata: c("metadata", null),
    dataConnectionCount: c("dataConnectionCount", "auto"),
    dropTcpConnections: c("dropTcpConnections", true),
    name: `router/${view.id}`,
    identity: `router/${view.id}`,
    type: view.agent.qualified("router"),
  };
}

/**
 * skupper-router's `routerMetrics` (agent_router_metrics.c) as it answers: its `type` is the
 * qdrouterd name, `version` is null and the version sits in a last column named "".
 */
function routerMetricsRow(view: RuntimeView): Attributes {
  const counts = routerCounts(view);
  return {
    identity: "1",
    type: "org.apache.qpid.dispatch.routerMetrics",
    id: view.id,
    ...counts,
    residentMemoryUsage: process.memoryUsage().heapUsed,
    connectionCounters: { tcp: 0, amqp: counts.connectionCount, http1: 0, http2: 0 },
    version: null,
    "": ROUTER_VERSION[view.flavour],
  };
}

const CONNECTION_DEFAULTS = {
  protocol: "amqp",
  sslProto: null,
  sslCipher: null,
  properties: {},
  sslSsf: 0,
  tenant: null,
  ssl: false,
  opened: true,
  active: true,
  adminStatus: "enabled",
  operStatus: "up",
  lastDlvSeconds: 0,
  enableProtocolTrace: false,
  localSocket: null,
  meshId: null,
  tlsOrdinal: null,
  groupCorrelationId: null,
  groupOrdinal: null,
};

function connectionRows(view: RuntimeView): Attributes[] {
  const type = view.agent.qualified("connection");
  const clients = view.connections.map((c): Attributes => {
    const socket = c.connection.socket as
      | { remoteAddress?: string; remotePort?: number }
      | undefined;
    const host = `${socket?.remoteAddress ?? ""}:${socket?.remotePort ?? ""}`;
    const info = view.connectionInfo(c);
    return {
      ...CONNECTION_DEFAULTS,
      name: `connection/${host}`,
      identity: c.identity,
      type,
      host,
      role: info.role,
      dir: "in",
      container: c.remoteContainer ?? null,
      // The emulator's listeners offer ANONYMOUS and PLAIN; a user name means PLAIN.
      sasl: c.user !== undefined ? "PLAIN" : "ANONYMOUS",
      isAuthenticated: true,
      user: c.user ?? "anonymous",
      isEncrypted: c.encrypted,
      ssl: c.encrypted,
      uptimeSeconds: seconds(Date.now() - info.openedAt),
    };
  });
  const brokers = view.brokers.connectionRows(type).map((row) => ({
    ...CONNECTION_DEFAULTS,
    sasl: null,
    isAuthenticated: false,
    user: null,
    isEncrypted: false,
    uptimeSeconds: 0,
    ...row,
  }));
  return [...clients, ...brokers];
}

const LINK_DEFAULTS = {
  capacity: DEFAULT_LINK_CAPACITY,
  peer: null,
  adminStatus: "enabled",
  operStatus: "up",
  presettledCount: 0,
  droppedPresettledCount: 0,
  acceptedCount: 0,
  rejectedCount: 0,
  releasedCount: 0,
  modifiedCount: 0,
  deliveriesDelayed1Sec: 0,
  deliveriesDelayed10Sec: 0,
  deliveriesStuck: 0,
  openMovedStreams: 0,
  ingressHistogram: null,
  // What qdrouterd gives a client's endpoint link (the recording's router.link rows).
  priority: 4,
  settleRate: 0,
  zeroCreditSeconds: 0,
};

function linkRows(view: RuntimeView): Attributes[] {
  const type = view.agent.qualified("router.link");
  const rows: Attributes[] = [];
  for (const c of view.connections) {
    for (const consumer of c.consumers) {
      const name = consumer.sender.name;
      let credit = 0;
      try {
        credit = Math.max(0, senderAvailableCredit(consumer.sender, consumer.delivered));
      } catch {
        // The link's session is gone; it has no credit to show.
      }
      rows.push({
        ...LINK_DEFAULTS,
        name,
        identity: linkIdentity(consumer),
        type,
        linkName: name,
        linkType: "endpoint",
        linkDir: "out",
        owningAddr: addressHashKey(view, consumer.address),
        undeliveredCount: Math.max(0, consumer.outstanding - consumer.unsettled),
        unsettledCount: consumer.unsettled,
        deliveryCount: consumer.delivered,
        connectionId: c.identity,
        creditAvailable: credit,
      });
    }
    for (const producer of c.producers) {
      const name = producer.receiver.name;
      rows.push({
        ...LINK_DEFAULTS,
        name,
        identity: linkIdentity(producer),
        type,
        linkName: name,
        linkType: "endpoint",
        linkDir: "in",
        owningAddr: producer.address === undefined ? null : addressHashKey(view, producer.address),
        undeliveredCount: 0,
        unsettledCount: producer.outstanding,
        deliveryCount: producer.received,
        connectionId: c.identity,
        creditAvailable: grantedCredit(producer.receiver),
      });
    }
  }
  return rows;
}

function addressRows(view: RuntimeView): Attributes[] {
  const type = view.agent.qualified("router.address");
  const rows = new Map<string, Attributes>();
  const counted = view.routing.routeContainerCounts(view.id);
  for (const key of new Set([...view.routing.allAddresses(), ...counted.keys()])) {
    const hashKey = addressHashKey(view, key);
    const destinations = view.routing.destinations(key);
    const local = destinations.filter((d) => d.routerId === view.id).length;
    const remote = new Set(
      destinations.filter((d) => d.routerId !== view.id).map((d) => d.routerId),
    );
    const row = rows.get(hashKey);
    const counts = view.routing.deliveryCounts(view.id, key);
    if (row) {
      row.subscriberCount = Number(row.subscriberCount) + local;
      row.remoteCount = Math.max(Number(row.remoteCount), remote.size);
      row.deliveriesIngress = Number(row.deliveriesIngress) + counts.ingress;
      row.deliveriesEgress = Number(row.deliveriesEgress) + counts.egress;
      continue;
    }
    const management = key === `_topo/0/${view.id}/$management`;
    const mobile = hashKey.startsWith("M");
    rows.set(hashKey, {
      name: hashKey,
      identity: hashKey,
      type,
      key: hashKey,
      distribution: mobile
        ? view.addresses.lookup(addressOfKey(key)).distribution
        : hashKey.startsWith("R") || management
          ? "closest"
          : "balanced",
      inProcess: management ? 1 : 0,
      subscriberCount: management ? 0 : local,
      remoteCount: remote.size,
      containerCount: 0,
      remoteHostRouters: [],
      deliveriesIngress: counts.ingress,
      deliveriesEgress: counts.egress,
      deliveriesTransit: 0,
      deliveriesToContainer: 0,
      deliveriesFromContainer: 0,
      deliveriesIngressRouteContainer: counted.get(key)?.ingress ?? 0,
      deliveriesEgressRouteContainer: counted.get(key)?.egress ?? 0,
      deliveriesIngressInterNetwork: 0,
      deliveriesEgressInterNetwork: 0,
      transitOutstanding: null,
      trackedDeliveries: view.routing.queuedCount(key),
      priority: -1,
      deliveriesRedirectedToFallback: 0,
      watch: false,
    });
  }
  return [...rows.values()];
}

/** Interior routers this one knows: itself first (an edge router knows none, as qdrouterd's). */
function nodeRows(view: RuntimeView): Attributes[] {
  if (view.mode !== "interior") return [];
  const graph = view.routing.graph;
  const distances = graph.distancesFrom(view.id);
  const interiors = [...distances.keys()].filter((id) => graph.nodes.get(id)?.mode === "interior");
  const ordered = [view.id, ...interiors.filter((id) => id !== view.id)];
  const neighboursOf = (id: string): string[] =>
    interiors.filter((other) => other !== id && graph.edge(id, other)?.up === true);
  const mine = neighboursOf(view.id);
  const type = view.agent.qualified("router.node");
  const started = seconds(view.startedAt);
  return ordered.map((id, index) => {
    const self = id === view.id;
    const cost = distances.get(id) ?? null;
    // The next hop towards a router that is no neighbour: the neighbour on a cheapest path.
    const via = mine.find(
      (n) =>
        (graph.edge(view.id, n)?.cost ?? 0) + (graph.distancesFrom(n).get(id) ?? Number.NaN) ===
        cost,
    );
    return {
      id,
      protocolVersion: 1,
      instance: started,
      linkState: neighboursOf(id),
      nextHop: self ? "(self)" : mine.includes(id) ? null : (via ?? null),
      validOrigins: [],
      address: `amqp:/_topo/0/${id}`,
      routerLink: self || !mine.includes(id) ? null : mine.indexOf(id),
      cost: self ? null : cost,
      lastTopoChange: self ? started : null,
      index,
      name: `router.node/${id}`,
      identity: `router.node/${id}`,
      type,
    };
  });
}

/**
 * A few allocator pools, named as qdrouterd's, with the emulator's own object counts: what
 * `qdstat -m` shows of a router's memory.
 */
function allocatorRows(view: RuntimeView): Attributes[] {
  const t = totals(view);
  const pools: Array<[string, number, number]> = [
    // [type, typeSize (bytes, as recorded from qdrouterd 1.19.0), objects in use]
    ["qdr_connection_t", 632, view.connections.length],
    ["qdr_link_t", 552, t.links],
    ["qdr_address_t", 416, view.routing.allAddresses().length],
    ["qdr_delivery_t", 312, t.unsettled],
  ];
  const type = view.agent.qualified("allocator");
  return pools.map(([typeName, typeSize, used]) => ({
    typeName,
    typeSize,
    transferBatchSize: 64,
    localFreeListMax: 128,
    globalFreeListMax: 0,
    totalAllocFromHeap: used,
    totalFreeToHeap: 0,
    heldByThreads: used,
    batchesRebalancedToThreads: 0,
    batchesRebalancedToGlobal: 0,
    name: `allocator/${typeName}`,
    identity: `allocator/${typeName}`,
    type,
  }));
}

/**
 * The `policy` singleton as both real routers answer it (seen with qdmanage/skmanage on
 * 1.19.0 and 3.5.1): the config's settings over the schema's defaults, the counters, and
 * the name `policy/None` whatever the config says.
 */
function policyRow(view: RuntimeView): Attributes {
  const a = view.policyAttributes;
  const pick = <T>(key: string, fallback: T): T =>
    a[key] === undefined ? fallback : (a[key] as T);
  const c = view.policyCounters;
  return {
    maxConnections: pick("maxConnections", 65535),
    maxMessageSize: pick("maxMessageSize", 0),
    enableVhostPolicy: pick("enableVhostPolicy", false),
    enableVhostNamePatterns: pick("enableVhostNamePatterns", false),
    policyDir: pick("policyDir", ""),
    defaultVhost: pick("defaultVhost", "$default"),
    connectionsProcessed: c.connectionsProcessed,
    connectionsDenied: c.connectionsDenied,
    connectionsCurrent: view.connectionsCurrent,
    linksDenied: c.linksDenied,
    maxMessageSizeDenied: c.maxMessageSizeDenied,
    totalDenials: c.totalDenials,
    name: "policy/None",
    identity: "policy/None",
    type: view.agent.qualified("policy"),
  };
}

/** Rows of a runtime type by its short name; [] for a type with no runtime rows. */
export function runtimeRows(view: RuntimeView, short: string): Attributes[] {
  switch (short) {
    case "router":
      return [view.flavour === "skupper-router" ? skupperRouterRow(view) : qpidRouterRow(view)];
    case "routerMetrics":
      return [routerMetricsRow(view)];
    case "network":
      return [];
    case "connection":
      return connectionRows(view);
    case "router.link":
      return linkRows(view);
    case "router.address":
      return addressRows(view);
    case "router.node":
      return nodeRows(view);
    case "allocator":
      return allocatorRows(view);
    case "policy":
      return [policyRow(view)];
    default:
      return [];
  }
}
