/**
 * How attribute values are read back from `.conf` files, where every value is text: the
 * attribute names are the schema's, shared by both flavours (qdrouterd
 * `python/qpid_dispatch/management/qdrouter.json`, skupper-router `skrouter.json`).
 */

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
