/**
 * The management types an emulated router has, per flavour, as the real router describes
 * them: each type's bases (GET-TYPES), attributes (GET-ATTRIBUTES, and a Python-handled
 * type's QUERY columns), operations (GET-OPERATIONS) and, for types the router's C core
 * agent answers, the core's column order (QUERY with no attributeNames, READ/CREATE maps).
 *
 * Where each fact comes from:
 * - attributes, operations, bases: the schemas, apache/qpid-dispatch 1.19.0
 *   python/qpid_dispatch/management/qdrouter.json and skupperproject/skupper-router 3.5.1
 *   python/skupper_router/management/skrouter.json; a type's attributes are its own then
 *   its bases' (`name`, `identity`, `type`), its operations its own then its bases'
 *   (`READ`) — as recorded (test/fixtures/real-router-captures) and as answered live;
 * - which agent answers a type: src/router_core/management_agent.c `qd_can_handle_request`
 *   (the C core agent takes QUERY/CREATE/READ/UPDATE/DELETE of the types listed there; the
 *   rest goes to the Python agent, python/…/management/agent.py);
 * - core column orders: the `qdr_*_columns[]` arrays in src/router_core/agent_*.c of each
 *   release, and the recorded QUERY answers.
 *
 * Why it is long: it is data — one entry per management type and flavour, transcribed from
 * the schemas and core sources above, with the few lines that turn it into a catalog. Kept in
 * one file so that each type's two flavours sit side by side and a diff against a new
 * release's schema reads top to bottom.
 */
import type { RouterFlavour } from "../../shared/router-vocabulary/index.ts";

/** Which of the real router's agents answers a type; their behaviours differ. */
export type AgentKind = "core" | "python";

export interface ManagedType {
  /** Name after the flavour prefix, e.g. `router.config.address`. */
  readonly short: string;
  readonly agent: AgentKind;
  /** Short names of its bases, nearest first (GET-TYPES). */
  readonly bases: readonly string[];
  /** GET-ATTRIBUTES: its own attributes, then the inherited name, identity, type. */
  readonly attributes: readonly string[];
  /** The core agent's columns in its order; a Python type's columns are `attributes`. */
  readonly columns: readonly string[];
  /** GET-OPERATIONS: its own operations, then its bases'. */
  readonly operations: readonly string[];
}

const ENTITY_ATTRIBUTES = ["name", "identity", "type"];
const MANAGEMENT_OPERATIONS = [
  "QUERY",
  "GET-TYPES",
  "GET-ANNOTATIONS",
  "GET-OPERATIONS",
  "GET-ATTRIBUTES",
  "GET-MGMT-NODES",
];

type Base = "configurationEntity" | "operationalEntity";

interface TypeSource {
  short: string;
  base: Base;
  own: readonly string[];
  operations?: readonly string[];
  /** Present for core-agent types: the `qdr_*_columns[]` order. */
  core?: readonly string[];
}

function managed(source: TypeSource): ManagedType {
  const attributes = [...source.own, ...ENTITY_ATTRIBUTES];
  return {
    short: source.short,
    agent: source.core ? "core" : "python",
    bases: [source.base, "entity"],
    attributes,
    columns: source.core ?? attributes,
    operations: [...(source.operations ?? []), "READ"],
  };
}

/** The abstract types both schemas start with (qdrouter.json / skrouter.json). */
const ABSTRACT: ManagedType[] = [
  {
    short: "entity",
    agent: "python",
    bases: [],
    attributes: ENTITY_ATTRIBUTES,
    columns: ENTITY_ATTRIBUTES,
    operations: [],
  },
  {
    short: "org.amqp.management",
    agent: "python",
    bases: ["operationalEntity", "entity"],
    attributes: ENTITY_ATTRIBUTES,
    columns: ENTITY_ATTRIBUTES,
    operations: [...MANAGEMENT_OPERATIONS, "READ"],
  },
  {
    short: "management",
    agent: "python",
    bases: ["org.amqp.management", "operationalEntity", "entity"],
    attributes: ENTITY_ATTRIBUTES,
    columns: ENTITY_ATTRIBUTES,
    operations: [
      "GET-SCHEMA",
      "GET-JSON-SCHEMA",
      "GET-LOG",
      "PROFILE",
      ...MANAGEMENT_OPERATIONS,
      "READ",
    ],
  },
  {
    short: "configurationEntity",
    agent: "python",
    bases: ["entity"],
    attributes: ENTITY_ATTRIBUTES,
    columns: ENTITY_ATTRIBUTES,
    operations: ["READ"],
  },
  {
    short: "operationalEntity",
    agent: "python",
    bases: ["entity"],
    attributes: ENTITY_ATTRIBUTES,
    columns: ENTITY_ATTRIBUTES,
    operations: ["READ"],
  },
];

// ---- attributes both schemas share --------------------------------------------------

const VHOST_OWN = [
  "hostname",
  "aliases",
  "maxConnections",
  "maxMessageSize",
  "maxConnectionsPerUser",
  "maxConnectionsPerHost",
  "allowUnknownUser",
  "groups",
];
const POLICY_OWN = [
  "maxConnections",
  "maxMessageSize",
  "enableVhostPolicy",
  "enableVhostNamePatterns",
  "policyDir",
  "defaultVhost",
  "connectionsProcessed",
  "connectionsDenied",
  "connectionsCurrent",
  "linksDenied",
  "maxMessageSizeDenied",
  "totalDenials",
];
const NODE_OWN = [
  "id",
  "protocolVersion",
  "instance",
  "linkState",
  "nextHop",
  "validOrigins",
  "address",
  "routerLink",
  "cost",
  "lastTopoChange",
  "index",
];
const ALLOCATOR_OWN = [
  "typeName",
  "typeSize",
  "transferBatchSize",
  "localFreeListMax",
  "globalFreeListMax",
  "totalAllocFromHeap",
  "totalFreeToHeap",
  "heldByThreads",
  "batchesRebalancedToThreads",
  "batchesRebalancedToGlobal",
];
const LISTENER_HEAD = ["host", "port", "socketAddressFamily", "role", "cost", "sslProfile"];
const FRAMES = ["maxFrameSize", "maxSessions", "maxSessionFrames", "idleTimeoutSeconds"];
const LISTENER_HTTP = ["healthz", "metrics", "websockets", "http", "httpRootDir"];
const LISTENER_TAIL = ["messageLoggingComponents", "policyVhost", "openProperties"];
const CONNECTOR_SASL = ["verifyHostname", "saslUsername", "saslPassword"];
const CONNECTOR_TAIL = [
  "messageLoggingComponents",
  "failoverUrls",
  "connectionStatus",
  "connectionMsg",
  "policyVhost",
  "openProperties",
];
const DELIVERY_OUTCOMES = [
  "presettledDeliveries",
  "droppedPresettledDeliveries",
  "acceptedDeliveries",
  "rejectedDeliveries",
  "releasedDeliveries",
  "modifiedDeliveries",
];
const LINK_OUTCOMES = [
  "presettledCount",
  "droppedPresettledCount",
  "acceptedCount",
  "rejectedCount",
  "releasedCount",
  "modifiedCount",
  "deliveriesDelayed1Sec",
  "deliveriesDelayed10Sec",
  "deliveriesStuck",
];

// ---- qdrouterd 1.19.0 ---------------------------------------------------------------

// biome-ignore format: a table, one type per block
const QPID_DISPATCH: TypeSource[] = [
  {
    short: "router",
    base: "configurationEntity",
    own: ["id", "mode", "area", "version", "hostName", "helloIntervalSeconds", "helloMaxAgeSeconds",
      "raIntervalSeconds", "raIntervalFluxSeconds", "remoteLsMaxAgeSeconds", "workerThreads",
      "debugDumpFile", "saslConfigDir", "saslConfigName", "allowResumableLinkRoute", "timestampsInUTC",
      "timestampFormat", "allowUnsettledMulticast", "defaultDistribution", "metadata", "addrCount",
      "linkCount", "blockedLinkCount", "nodeCount", "linkRouteCount", "autoLinkCount", "connectionCount",
      ...DELIVERY_OUTCOMES, "deliveriesDelayed1Sec", "deliveriesDelayed10Sec", "deliveriesStuck",
      "deliveriesIngress", "deliveriesEgress", "deliveriesTransit", "deliveriesIngressRouteContainer",
      "deliveriesEgressRouteContainer", "deliveriesRedirectedToFallback", "uptimeSeconds", "memoryUsage"],
    // src/router_core/agent_router.c qdr_router_columns
    core: ["name", "identity", "id", "type", "mode", "area", "version", "metadata", "addrCount",
      "linkCount", "nodeCount", "linkRouteCount", "autoLinkCount", "connectionCount", ...DELIVERY_OUTCOMES,
      "deliveriesDelayed1Sec", "deliveriesDelayed10Sec", "deliveriesStuck", "deliveriesIngress",
      "deliveriesEgress", "deliveriesTransit", "deliveriesIngressRouteContainer",
      "deliveriesEgressRouteContainer", "deliveriesRedirectedToFallback", "linksBlocked", "uptimeSeconds",
      "memoryUsage", "workerThreads"],
  },
  {
    short: "sslProfile",
    base: "configurationEntity",
    own: ["ciphers", "protocols", "caCertFile", "certFile", "privateKeyFile", "passwordFile", "password", "uidFormat", "uidNameMappingFile"],
    operations: ["CREATE", "DELETE"],
  },
  {
    short: "listener",
    base: "configurationEntity",
    own: [...LISTENER_HEAD, "saslMechanisms", "authenticatePeer", "saslPlugin", "requireEncryption",
      "requireSsl", "trustedCertsFile", ...FRAMES, "initialHandshakeTimeoutSeconds", "stripAnnotations",
      "linkCapacity", "multiTenant", "failoverUrls", ...LISTENER_HTTP, ...LISTENER_TAIL],
    operations: ["CREATE", "DELETE"],
  },
  {
    short: "connector",
    base: "configurationEntity",
    own: ["host", "port", "protocolFamily", "role", "cost", "sslProfile", "saslMechanisms", "allowRedirect",
      ...FRAMES, "stripAnnotations", "linkCapacity", ...CONNECTOR_SASL, ...CONNECTOR_TAIL],
    operations: ["CREATE", "DELETE"],
  },
  {
    short: "router.config.address",
    base: "configurationEntity",
    own: ["prefix", "pattern", "distribution", "waypoint", "ingressPhase", "egressPhase", "priority", "enableFallback"],
    operations: ["CREATE", "DELETE"],
    // src/router_core/agent_config_address.c qdr_config_address_columns
    core: ["name", "identity", "type", "prefix", "distribution", "waypoint", "ingressPhase", "egressPhase", "pattern", "priority", "fallback"],
  },
  {
    short: "router.config.linkRoute",
    base: "configurationEntity",
    own: ["prefix", "pattern", "addExternalPrefix", "delExternalPrefix", "containerId", "connection",
      "distribution", "direction", "operStatus"],
    operations: ["CREATE", "DELETE"],
    // src/router_core/agent_config_link_route.c qdr_config_link_route_columns
    core: ["name", "identity", "type", "prefix", "distribution", "connection", "containerId", "direction",
      "dir", "operStatus", "pattern", "addExternalPrefix", "delExternalPrefix"],
  },
  {
    short: "router.config.autoLink",
    base: "configurationEntity",
    own: ["address", "direction", "phase", "containerId", "connection", "externalAddress", "fallback",
      "linkRef", "operStatus", "lastError"],
    operations: ["CREATE", "DELETE"],
    // src/router_core/agent_config_auto_link.c qdr_config_auto_link_columns
    core: ["name", "identity", "type", "address", "addr", "direction", "dir", "phase", "connection",
      "containerId", "externalAddress", "externalAddr", "linkRef", "operStatus", "lastError", "fallback"],
  },
  {
    short: "router.link",
    base: "operationalEntity",
    own: ["adminStatus", "operStatus", "linkName", "linkType", "linkDir", "owningAddr", "capacity", "peer",
      "undeliveredCount", "unsettledCount", "deliveryCount", ...LINK_OUTCOMES, "creditAvailable", "zeroCreditSeconds", "settleRate", "ingressHistogram",
      "priority"],
    operations: ["UPDATE"],
    // src/router_core/agent_link.c qdr_link_columns
    core: ["name", "identity", "type", "linkName", "linkType", "linkDir", "owningAddr", "capacity", "peer",
      "undeliveredCount", "unsettledCount", "deliveryCount", "connectionId", "adminStatus", "operStatus",
      ...LINK_OUTCOMES, "ingressHistogram", "priority", "settleRate", "creditAvailable",
      "zeroCreditSeconds"],
  },
  {
    short: "router.address",
    base: "operationalEntity",
    own: ["distribution", "inProcess", "subscriberCount", "remoteCount", "containerCount",
      "deliveriesIngress", "deliveriesEgress", "deliveriesTransit", "deliveriesToContainer",
      "deliveriesFromContainer", "deliveriesIngressRouteContainer", "deliveriesEgressRouteContainer",
      "deliveriesRedirectedToFallback", "key", "remoteHostRouters", "transitOutstanding",
      "trackedDeliveries", "priority"],
    // src/router_core/agent_address.c qdr_address_columns
    core: ["name", "identity", "type", "key", "distribution", "inProcess", "subscriberCount", "remoteCount",
      "containerCount", "remoteHostRouters", "deliveriesIngress", "deliveriesEgress", "deliveriesTransit",
      "deliveriesToContainer", "deliveriesFromContainer", "deliveriesEgressRouteContainer",
      "deliveriesIngressRouteContainer", "transitOutstanding", "trackedDeliveries", "priority",
      "deliveriesRedirectedToFallback"],
  },
  { short: "router.node", base: "operationalEntity", own: NODE_OWN },
  {
    short: "connection",
    base: "operationalEntity",
    own: ["adminStatus", "operStatus", "protocol", "container", "opened", "host", "dir", "role",
      "isAuthenticated", "isEncrypted", "enableProtocolTrace", "sasl", "user", "ssl", "sslProto",
      "sslCipher", "sslSsf", "tenant", "uptimeSeconds", "properties", "lastDlvSeconds"],
    // src/router_core/agent_connection.c qdr_connection_columns
    core: ["name", "identity", "host", "role", "protocol", "dir", "container", "sasl", "isAuthenticated",
      "user", "isEncrypted", "sslProto", "sslCipher", "properties", "sslSsf", "tenant", "type", "ssl",
      "opened", "active", "adminStatus", "operStatus", "uptimeSeconds", "lastDlvSeconds",
      "enableProtocolTrace"],
  },
  { short: "allocator", base: "operationalEntity", own: ALLOCATOR_OWN },
  // A singleton with READ only (GET-OPERATIONS on both), named `policy/None` on both.
  { short: "policy", base: "configurationEntity", own: POLICY_OWN },
  {
    short: "vhost",
    base: "configurationEntity",
    own: VHOST_OWN,
    operations: ["CREATE", "UPDATE", "DELETE"],
  },
];

// ---- skupper-router 3.5.1 -----------------------------------------------------------

// biome-ignore format: a table, one type per block
const SKUPPER_ROUTER: TypeSource[] = [
  {
    short: "routerMetrics",
    base: "operationalEntity",
    own: ["id", "version", "addrCount", "linkCount", "nodeCount", "autoLinkCount", "connectionCount",
      ...DELIVERY_OUTCOMES, "deliveriesIngress", "deliveriesEgress", "deliveriesTransit",
      "deliveriesIngressRouteContainer", "deliveriesEgressRouteContainer", "deliveriesIngressInterNetwork",
      "deliveriesEgressInterNetwork", "residentMemoryUsage", "memoryUsage", "uptimeSeconds",
      "deliveriesStuck", "deliveriesDelayed10Sec", "deliveriesDelayed1Sec", "connectionCounters"],
    // src/router_core/agent_router_metrics.c qdr_router_columns, as the router answers it: one
    // column more than the array names, announced as "" (the recording's QUERY answers).
    core: ["identity", "type", "id", "addrCount", "linkCount", "nodeCount", "autoLinkCount",
      "connectionCount", ...DELIVERY_OUTCOMES, "deliveriesDelayed1Sec", "deliveriesDelayed10Sec",
      "deliveriesStuck", "deliveriesIngress", "deliveriesEgress", "deliveriesTransit",
      "deliveriesIngressRouteContainer", "deliveriesEgressRouteContainer", "deliveriesIngressInterNetwork",
      "deliveriesEgressInterNetwork", "deliveriesRedirectedToFallback", "linksBlocked", "uptimeSeconds",
      "memoryUsage", "residentMemoryUsage", "connectionCounters", "version", ""],
  },
  {
    short: "router",
    base: "configurationEntity",
    own: ["id", "vanId", "mode", "area", "version", "hostName", "helloIntervalSeconds", "helloMaxAgeSeconds",
      "raIntervalSeconds", "raIntervalFluxSeconds", "remoteLsMaxAgeSeconds", "unreachableHoldoffSeconds",
      "workerThreads", "debugDumpFile", "saslConfigDir", "saslConfigName", "timestampsInUTC",
      "timestampFormat", "defaultDistribution", "metadata", "dataConnectionCount", "dropTcpConnections"],
  },
  {
    short: "network",
    base: "configurationEntity",
    own: ["networkId", "tenantId"],
    operations: ["UPDATE"],
  },
  {
    short: "sslProfile",
    base: "configurationEntity",
    own: ["ciphers", "protocols", "caCertFile", "certFile", "privateKeyFile", "password", "uidFormat",
      "uidNameMappingFile", "ordinal", "oldestValidOrdinal"],
    operations: ["CREATE", "UPDATE", "DELETE"],
  },
  {
    short: "listener",
    base: "configurationEntity",
    own: [...LISTENER_HEAD, "saslMechanisms", "authenticatePeer", "requireEncryption", "requireSsl",
      ...FRAMES, "initialHandshakeTimeoutSeconds", "stripAnnotations", "linkCapacity", "failoverUrls",
      ...LISTENER_HTTP, ...LISTENER_TAIL],
    operations: ["CREATE", "DELETE"],
  },
  {
    short: "connector",
    base: "configurationEntity",
    own: [...LISTENER_HEAD, "proxyProfile", "saslMechanisms", "allowRedirect", ...FRAMES, "stripAnnotations",
      "linkCapacity", ...CONNECTOR_SASL, ...CONNECTOR_TAIL],
    operations: ["CREATE", "DELETE"],
  },
  {
    short: "router.config.address",
    base: "configurationEntity",
    own: ["prefix", "pattern", "distribution", "priority"],
    operations: ["CREATE", "DELETE"],
    // src/router_core/agent_config_address.c qdr_config_address_columns
    core: ["name", "identity", "type", "prefix", "distribution", "pattern", "priority"],
  },
  {
    short: "router.config.autoLink",
    base: "configurationEntity",
    own: ["address", "direction", "containerId", "connection", "externalAddress", "linkRef", "operStatus",
      "lastError"],
    operations: ["CREATE", "DELETE"],
    // src/router_core/agent_config_auto_link.c qdr_config_auto_link_columns
    core: ["name", "identity", "type", "address", "direction", "connection", "containerId",
      "externalAddress", "linkRef", "operStatus", "lastError"],
  },
  {
    short: "router.link",
    base: "operationalEntity",
    own: ["operStatus", "linkName", "linkType", "linkDir", "owningAddr", "capacity", "undeliveredCount",
      "unsettledCount", "deliveryCount", "connectionId", ...LINK_OUTCOMES, "openMovedStreams",
      "creditAvailable", "zeroCreditSeconds", "settleRate", "ingressHistogram", "priority"],
    // src/router_core/agent_link.c qdr_link_columns
    core: ["name", "identity", "type", "linkName", "linkType", "linkDir", "owningAddr", "capacity",
      "undeliveredCount", "unsettledCount", "deliveryCount", "connectionId", "operStatus", ...LINK_OUTCOMES,
      "openMovedStreams", "ingressHistogram", "priority", "settleRate", "creditAvailable",
      "zeroCreditSeconds"],
  },
  {
    short: "router.address",
    base: "operationalEntity",
    own: ["distribution", "inProcess", "subscriberCount", "remoteCount", "containerCount",
      "deliveriesIngress", "deliveriesEgress", "deliveriesTransit", "deliveriesToContainer",
      "deliveriesFromContainer", "deliveriesIngressRouteContainer", "deliveriesEgressRouteContainer",
      "deliveriesIngressInterNetwork", "deliveriesEgressInterNetwork", "key", "remoteHostRouters",
      "transitOutstanding", "trackedDeliveries", "priority", "watch"],
    // src/router_core/agent_address.c qdr_address_columns
    core: ["name", "identity", "type", "key", "distribution", "inProcess", "subscriberCount", "remoteCount",
      "remoteHostRouters", "deliveriesIngress", "deliveriesEgress", "deliveriesTransit",
      "deliveriesToContainer", "deliveriesFromContainer", "deliveriesEgressRouteContainer",
      "deliveriesIngressRouteContainer", "deliveriesEgressInterNetwork", "deliveriesIngressInterNetwork",
      "transitOutstanding", "trackedDeliveries", "priority", "deliveriesRedirectedToFallback", "watch"],
  },
  { short: "router.node", base: "operationalEntity", own: NODE_OWN },
  {
    short: "connection",
    base: "operationalEntity",
    own: ["adminStatus", "operStatus", "protocol", "container", "opened", "host", "localSocket", "dir",
      "role", "meshId", "isAuthenticated", "isEncrypted", "enableProtocolTrace", "sasl", "user", "ssl",
      "sslProto", "sslCipher", "sslSsf", "uptimeSeconds", "properties", "lastDlvSeconds", "tlsOrdinal",
      "groupCorrelationId", "groupOrdinal"],
    // src/router_core/agent_connection.c qdr_connection_columns
    core: ["name", "identity", "host", "localSocket", "role", "protocol", "dir", "container", "sasl",
      "isAuthenticated", "user", "isEncrypted", "sslProto", "sslCipher", "properties", "sslSsf", "type",
      "ssl", "opened", "active", "adminStatus", "operStatus", "uptimeSeconds", "lastDlvSeconds",
      "enableProtocolTrace", "meshId", "tlsOrdinal", "groupCorrelationId", "groupOrdinal"],
  },
  { short: "allocator", base: "operationalEntity", own: ALLOCATOR_OWN },
  // A singleton with READ only (GET-OPERATIONS on both), named `policy/None` on both.
  { short: "policy", base: "configurationEntity", own: POLICY_OWN },
  {
    short: "vhost",
    base: "configurationEntity",
    own: VHOST_OWN,
    operations: ["CREATE", "UPDATE", "DELETE"],
  },
];

export interface Catalog {
  /** Every type, in the schema's order (GET-TYPES, GET-ATTRIBUTES, GET-OPERATIONS). */
  readonly types: readonly ManagedType[];
  get(short: string): ManagedType | undefined;
}

function catalog(sources: TypeSource[]): Catalog {
  const types = [...ABSTRACT, ...sources.map(managed)];
  const byShort = new Map(types.map((t) => [t.short, t]));
  return { types, get: (short) => byShort.get(short) };
}

const CATALOGS: Record<RouterFlavour, Catalog> = {
  "qpid-dispatch": catalog(QPID_DISPATCH),
  "skupper-router": catalog(SKUPPER_ROUTER),
};

export function catalogOf(flavour: RouterFlavour): Catalog {
  return CATALOGS[flavour];
}
