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
  /**
   * Attributes a management UPDATE may change, per type; a type not listed has no UPDATE
   * (router and policy answer 501 "not implemented", READ only). From the schemas'
   * `"operations"` and `"update": true` attributes, checked on the running routers.
   */
  updatable: Partial<Record<RouterEntityType, ReadonlySet<string>>>;
}

const VHOST_UPDATABLE: ReadonlySet<string> = new Set([
  "aliases",
  "maxConnections",
  "maxConnectionsPerUser",
  "maxConnectionsPerHost",
  "allowUnknownUser",
  "groups",
]);
const LOG_UPDATABLE: ReadonlySet<string> = new Set([
  "enable",
  "includeTimestamp",
  "includeSource",
  "outputFile",
]);

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
    // qdrouterd 1.19's sslProfile has no UPDATE (answers 501): it is deleted and created again.
    updatable: { vhost: VHOST_UPDATABLE, log: LOG_UPDATABLE },
  },
  "skupper-router": {
    // skrouter.json has no authServicePlugin section, and no linkRoute (see linkRoutes).
    entityTypes: entityTypesWithout("authServicePlugin", "linkRoute"),
    distributions: new Set(["multicast", "closest", "balanced", "unavailable"]),
    linkRoutes: false,
    addressPhases: false,
    updatable: {
      vhost: VHOST_UPDATABLE,
      log: LOG_UPDATABLE,
      // uidFormat is set at CREATE only ("Cannot update attribute 'uidFormat'").
      sslProfile: new Set([
        "ciphers",
        "protocols",
        "caCertFile",
        "certFile",
        "privateKeyFile",
        "password",
        "ordinal",
        "oldestValidOrdinal",
      ]),
    },
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
