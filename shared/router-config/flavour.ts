import type { RouterFlavour } from "../topology/index.ts";
import { ROUTER_ENTITY_TYPES, type RouterEntityType } from "./model.ts";

/**
 * What each router flavour accepts, as far as amqp-mesh emits it. Sources: qpid-dispatch
 * `python/qpid_dispatch/management/qdrouter.json` and the agent column lists in
 * `src/router_core/agent_config_*.c`; skupper-router
 * `python/skupper_router/management/skrouter.json`. Both routers refuse to start on an
 * attribute their schema does not know ("Unknown attribute"), so we never emit one.
 */
export interface FlavourFacts {
  /** Config-file sections the flavour knows. */
  entityTypes: ReadonlySet<RouterEntityType>;
  /** Values of router.config.address `distribution`; anything else silently becomes balanced. */
  distributions: ReadonlySet<string>;
  /** linkRoute exists (skupper-router removed link routing: skupper-router PR #58). */
  linkRoutes: boolean;
  /** address `waypoint` / autoLink `phase` exist (skupper-router removed them: issue #17). */
  addressPhases: boolean;
}

/** Every section we read and write, except the ones a flavour lacks. */
function entityTypesWithout(...missing: RouterEntityType[]): ReadonlySet<RouterEntityType> {
  return new Set(ROUTER_ENTITY_TYPES.filter((t) => !missing.includes(t)));
}

export const FLAVOUR_FACTS: Record<RouterFlavour, FlavourFacts> = {
  "qpid-dispatch": {
    entityTypes: entityTypesWithout(),
    distributions: new Set(["multicast", "closest", "balanced"]),
    linkRoutes: true,
    addressPhases: true,
  },
  "skupper-router": {
    // skrouter.json has no authServicePlugin section, and no linkRoute (see linkRoutes).
    entityTypes: entityTypesWithout("authServicePlugin", "linkRoute"),
    distributions: new Set(["multicast", "closest", "balanced", "unavailable"]),
    linkRoutes: false,
    addressPhases: false,
  },
};

/**
 * Attribute value types for the attributes we read back from `.conf` files, where every value
 * is text. Names are the schema's (shared by both flavours); unknown names stay strings.
 */
const INTEGER_ATTRIBUTES = new Set([
  "workerThreads",
  "cost",
  "maxFrameSize",
  "maxSessions",
  "maxSessionFrames",
  "idleTimeoutSeconds",
  "linkCapacity",
  "maxConnections",
  "maxConnectionsPerUser",
  "maxConnectionsPerHost",
  "maxMessageSize",
  "phase",
  "priority",
  "ingressPhase",
  "egressPhase",
  "helloIntervalSeconds",
  "helloMaxAgeSeconds",
  "raIntervalSeconds",
  "raIntervalFluxSeconds",
  "remoteLsMaxAgeSeconds",
]);

const BOOLEAN_ATTRIBUTES = new Set([
  "authenticatePeer",
  "requireSsl",
  "requireEncryption",
  "verifyHostname",
  "allowRedirect",
  "enableVhostPolicy",
  "enableVhostNamePatterns",
  "allowUnknownUser",
  "waypoint",
  "fallback",
  "includeTimestamp",
  "includeSource",
  "multiTenant",
  "http",
]);

/** Map-valued attributes; qdrouterd's `.conf` reader takes their body as JSON. */
export const JSON_MAP_ATTRIBUTES: ReadonlySet<string> = new Set(["groups", "openProperties"]);

/**
 * Attributes whose `.conf` value may hold '#': the router reads their first whitespace-free
 * token verbatim instead of cutting a trailing comment (config.py `special_snowflakes`).
 */
export const HASH_SAFE_ATTRIBUTES: ReadonlySet<string> = new Set([
  "pattern",
  "bindingKey",
  "hostname",
]);

export type AttributeKind = "integer" | "boolean" | "map" | "string";

export function attributeKind(name: string): AttributeKind {
  if (INTEGER_ATTRIBUTES.has(name)) return "integer";
  if (BOOLEAN_ATTRIBUTES.has(name)) return "boolean";
  if (JSON_MAP_ATTRIBUTES.has(name)) return "map";
  return "string";
}

/** The router's boolean spellings (qdrouterd schema.py BooleanType). */
export function parseBooleanText(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  if (lower === "true" || lower === "yes" || lower === "on") return true;
  if (lower === "false" || lower === "no" || lower === "off") return false;
  return undefined;
}

const set = (...names: string[]): ReadonlySet<string> => new Set(["name", ...names]);

/** Sections both schemas define with the same attributes; the others differ per flavour below. */
const SAME_IN_BOTH_FLAVOURS = {
  sslProfile: set(
    "caCertFile",
    "certFile",
    "privateKeyFile",
    "password",
    "uidFormat",
    "ciphers",
    "protocols",
  ),
  connector: set(
    "host",
    "port",
    "role",
    "cost",
    "sslProfile",
    "saslMechanisms",
    "saslUsername",
    "saslPassword",
    "allowRedirect",
    "maxFrameSize",
    "maxSessions",
    "idleTimeoutSeconds",
    "linkCapacity",
    "stripAnnotations",
    "verifyHostname",
    "policyVhost",
    "openProperties",
  ),
  policy: set(
    "maxConnections",
    "maxMessageSize",
    "enableVhostPolicy",
    "enableVhostNamePatterns",
    "policyDir",
    "defaultVhost",
  ),
};

/**
 * Attribute names per section and flavour, as the schemas define them (the ones we emit and
 * their close neighbours; deprecated spellings left out). qpid-dispatch from qdrouter.json
 * and the agent column lists (`qdr_config_address_columns`, `..._link_route_columns`,
 * `..._auto_link_columns`); skupper-router from skrouter.json.
 */
export const KNOWN_ATTRIBUTES: Record<
  RouterFlavour,
  Partial<Record<RouterEntityType, ReadonlySet<string>>>
> = {
  "qpid-dispatch": {
    ...SAME_IN_BOTH_FLAVOURS,
    router: set("id", "mode", "workerThreads", "saslConfigDir", "saslConfigName", "debugDumpFile"),
    listener: set(
      "host",
      "port",
      "role",
      "cost",
      "sslProfile",
      "saslMechanisms",
      "authenticatePeer",
      "requireSsl",
      "requireEncryption",
      "maxFrameSize",
      "maxSessions",
      "idleTimeoutSeconds",
      "linkCapacity",
      "stripAnnotations",
      "policyVhost",
      "multiTenant",
      "http",
    ),
    vhost: set(
      "hostname",
      "maxConnections",
      "maxMessageSize",
      "maxConnectionsPerUser",
      "maxConnectionsPerHost",
      "allowUnknownUser",
      "groups",
    ),
    address: set(
      "prefix",
      "pattern",
      "distribution",
      "waypoint",
      "ingressPhase",
      "egressPhase",
      "priority",
      "fallback",
    ),
    linkRoute: set(
      "prefix",
      "pattern",
      "distribution",
      "connection",
      "containerId",
      "direction",
      "addExternalPrefix",
      "delExternalPrefix",
    ),
    autoLink: set(
      "address",
      "direction",
      "phase",
      "connection",
      "containerId",
      "externalAddress",
      "fallback",
    ),
  },
  "skupper-router": {
    ...SAME_IN_BOTH_FLAVOURS,
    router: set(
      "id",
      "mode",
      "workerThreads",
      "saslConfigDir",
      "saslConfigName",
      "debugDumpFile",
      "defaultDistribution",
      "metadata",
    ),
    listener: set(
      "host",
      "port",
      "role",
      "cost",
      "sslProfile",
      "saslMechanisms",
      "authenticatePeer",
      "requireSsl",
      "requireEncryption",
      "maxFrameSize",
      "maxSessions",
      "idleTimeoutSeconds",
      "linkCapacity",
      "stripAnnotations",
      "policyVhost",
      "http",
    ),
    vhost: set(
      "hostname",
      "aliases",
      "maxConnections",
      "maxMessageSize",
      "maxConnectionsPerUser",
      "maxConnectionsPerHost",
      "allowUnknownUser",
      "groups",
    ),
    address: set("prefix", "pattern", "distribution", "priority"),
    autoLink: set("address", "direction", "connection", "containerId", "externalAddress"),
  },
};

/** Settings of one vhost user group (vhostUserGroupSettings), the same in both flavours. */
export const KNOWN_GROUP_SETTINGS: ReadonlySet<string> = new Set([
  "users",
  "remoteHosts",
  "maxConnectionsPerUser",
  "maxConnectionsPerHost",
  "maxMessageSize",
  "maxFrameSize",
  "maxSessionWindow",
  "maxSessions",
  "maxSenders",
  "maxReceivers",
  "allowDynamicSource",
  "allowAnonymousSender",
  "allowUserIdProxy",
  "allowAdminStatusUpdate",
  "sources",
  "targets",
  "sourcePattern",
  "targetPattern",
]);
