/**
 * The router's own rows: qdrouterd's `router` (the core agent's, with the counters),
 * skupper-router's `router` (a Python configuration entity) and its `routerMetrics`.
 */
import { hostname } from "node:os";
import type { Attributes, AttributeValue } from "../../entities/schema.ts";
import { addressRows } from "./address.ts";
import { connectionRows } from "./connection.ts";
import { nodeRows } from "./node.ts";
import { ROUTER_VERSION, type RuntimeView, seconds, totals } from "./view.ts";

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
export function qpidRouterRow(view: RuntimeView): Attributes {
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
export function skupperRouterRow(view: RuntimeView): Attributes {
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
export function routerMetricsRow(view: RuntimeView): Attributes {
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
