/**
 * The configurable entity types the emulator supports and how their attributes are checked
 * when they come from a config file or from a management CREATE the router's Python agent
 * handles: names, kinds, defaults, allowed values. Both schemas together
 * (apache/qpid-dispatch 1.19.0 python/qpid_dispatch/management/qdrouter.json,
 * skupperproject/skupper-router 3.5.1 python/skupper_router/management/skrouter.json): an
 * attribute one flavour lacks is accepted and simply not shown by the other (catalog.ts
 * says what each flavour shows). Value conversion follows python/…/management/schema.py.
 */
import {
  ADDRESS_DISTRIBUTIONS,
  FLAVOUR_FACTS,
  type RouterFlavour,
} from "../../shared/router-vocabulary/index.ts";

export type AttributeValue = string | number | boolean | null | Record<string, unknown> | unknown[];
export type Attributes = Record<string, AttributeValue>;

/** Short management names (after the flavour prefix) of the configurable types. */
export type ConfigEntityType =
  | "router.config.address"
  | "router.config.linkRoute"
  | "router.config.autoLink"
  | "listener"
  | "connector"
  | "sslProfile"
  | "vhost";

type Kind = "string" | "integer" | "boolean" | "map" | "list" | "any";

interface AttributeSpec {
  kind: Kind;
  default?: AttributeValue;
  values?: readonly string[];
  /** May be changed by UPDATE (the schema's `update: true`). */
  update?: boolean;
}

export interface EntityTypeSpec {
  attributes: Record<string, AttributeSpec>;
  /** Config-file section whose entities are of this type. */
  configType: string;
  /** Checks beyond single attributes; returns a problem description or undefined. */
  check?(attributes: Attributes, flavour: RouterFlavour): string | undefined;
}

const text = (defaultValue?: string, update = false): AttributeSpec =>
  defaultValue === undefined
    ? { kind: "string", update }
    : { kind: "string", default: defaultValue, update };
const integer = (defaultValue?: number, update = false): AttributeSpec =>
  defaultValue === undefined
    ? { kind: "integer", update }
    : { kind: "integer", default: defaultValue, update };
const flag = (defaultValue?: boolean, update = false): AttributeSpec =>
  defaultValue === undefined
    ? { kind: "boolean", update }
    : { kind: "boolean", default: defaultValue, update };
const oneOf = (values: readonly string[], defaultValue?: string): AttributeSpec =>
  defaultValue === undefined
    ? { kind: "string", values }
    : { kind: "string", values, default: defaultValue };
const map = (update = false): AttributeSpec => ({ kind: "map", update });

const common: Record<string, AttributeSpec> = {
  name: text(),
  identity: text(),
  type: text(),
};

/** listener/connector roles; `inter-edge` and `inter-network` are skupper-router's. */
const ROLES = ["normal", "inter-router", "route-container", "edge", "inter-edge", "inter-network"];
const FAMILIES = ["IPv4", "IPv6"];
const STRIP = ["in", "out", "both", "no"];

/** What listeners and connectors share (both schemas). */
const connectionCommon: Record<string, AttributeSpec> = {
  port: text("amqp"),
  socketAddressFamily: oneOf(FAMILIES),
  role: oneOf(ROLES, "normal"),
  cost: integer(1),
  sslProfile: text(),
  saslMechanisms: text(),
  maxFrameSize: integer(16384),
  maxSessions: integer(32768),
  maxSessionFrames: integer(),
  idleTimeoutSeconds: integer(16),
  stripAnnotations: oneOf(STRIP, "both"),
  linkCapacity: integer(),
  messageLoggingComponents: text("none"),
  failoverUrls: text(),
  policyVhost: text(),
  openProperties: map(),
};

function exactlyOne(a: string, b: string) {
  return (attributes: Attributes): string | undefined => {
    const hasA = attributes[a] !== undefined && attributes[a] !== null;
    const hasB = attributes[b] !== undefined && attributes[b] !== null;
    if (!hasA && !hasB) return `Either a '${a}' or '${b}' attribute must be provided`;
    if (hasA && hasB) return `Cannot specify both a '${a}' and a '${b}' attribute`;
    return undefined;
  };
}

/** agent_config_link_route.c / agent_config_auto_link.c refuse both at once. */
function notBoth(attributes: Attributes): string | undefined {
  return attributes.connection != null && attributes.containerId != null
    ? "Both connection and containerId cannot be specified. Specify only one"
    : undefined;
}

export const ENTITY_TYPES: Record<ConfigEntityType, EntityTypeSpec> = {
  "router.config.address": {
    configType: "address",
    attributes: {
      ...common,
      prefix: text(),
      pattern: text(),
      distribution: oneOf(ADDRESS_DISTRIBUTIONS, "balanced"),
      waypoint: flag(false),
      ingressPhase: integer(),
      egressPhase: integer(),
      priority: integer(-1),
      // The schema's `enableFallback`; the core agent stores and shows it as `fallback`.
      fallback: flag(false),
    },
    check: exactlyOne("prefix", "pattern"),
  },
  "router.config.linkRoute": {
    configType: "linkRoute",
    attributes: {
      ...common,
      prefix: text(),
      pattern: text(),
      addExternalPrefix: text(),
      delExternalPrefix: text(),
      containerId: text(),
      connection: text(),
      distribution: oneOf(["linkBalanced"], "linkBalanced"),
      direction: oneOf(["in", "out"]),
      operStatus: oneOf(["inactive", "active"]),
    },
    check(attributes, flavour) {
      if (!FLAVOUR_FACTS[flavour].linkRoutes) return `linkRoute is not supported by ${flavour}`;
      if (attributes.direction === undefined) return "Attribute 'direction' is required";
      return notBoth(attributes) ?? exactlyOne("prefix", "pattern")(attributes);
    },
  },
  "router.config.autoLink": {
    configType: "autoLink",
    attributes: {
      ...common,
      address: text(),
      direction: oneOf(["in", "out"]),
      phase: integer(),
      containerId: text(),
      connection: text(),
      externalAddress: text(),
      fallback: flag(false),
      linkRef: text(),
      operStatus: text(),
      lastError: text(),
    },
    check(attributes) {
      if (attributes.address === undefined) return "Attribute 'address' is required";
      if (attributes.direction === undefined) return "Attribute 'direction' is required";
      return notBoth(attributes);
    },
  },
  listener: {
    configType: "listener",
    attributes: {
      ...common,
      host: text(""),
      ...connectionCommon,
      authenticatePeer: flag(false),
      saslPlugin: text(),
      requireEncryption: flag(false),
      requireSsl: flag(false),
      trustedCertsFile: text(),
      initialHandshakeTimeoutSeconds: integer(0),
      multiTenant: flag(false),
      healthz: flag(true),
      metrics: flag(true),
      websockets: flag(true),
      http: flag(false),
      httpRootDir: text(),
    },
  },
  connector: {
    configType: "connector",
    attributes: {
      ...common,
      host: text("127.0.0.1"),
      ...connectionCommon,
      protocolFamily: oneOf(FAMILIES),
      proxyProfile: text(),
      allowRedirect: flag(true),
      verifyHostname: flag(true),
      saslUsername: text(),
      // Returned over management as configured (`env:NAME`, `file:/path` or the password
      // itself): the schemas' `hidden: true` only masks it in the agent's log lines
      // (agent.py EntityAdapter.__str__); both real routers answer it verbatim.
      saslPassword: text(),
      connectionStatus: text(),
      connectionMsg: text(),
    },
  },
  sslProfile: {
    configType: "sslProfile",
    attributes: {
      ...common,
      // `update` is skupper-router's: qdrouterd 1.19 has no UPDATE on sslProfile at all.
      ciphers: text(undefined, true),
      protocols: text(undefined, true),
      caCertFile: text(undefined, true),
      certFile: text(undefined, true),
      privateKeyFile: text(undefined, true),
      passwordFile: text(),
      // Not hidden in either schema, and answered as configured.
      password: text(undefined, true),
      uidFormat: text(),
      uidNameMappingFile: text(),
      ordinal: integer(undefined, true),
      oldestValidOrdinal: integer(undefined, true),
    },
  },
  vhost: {
    configType: "vhost",
    attributes: {
      ...common,
      hostname: text(),
      aliases: text(undefined, true),
      maxConnections: integer(65535, true),
      maxMessageSize: integer(),
      maxConnectionsPerUser: integer(65535, true),
      maxConnectionsPerHost: integer(65535, true),
      allowUnknownUser: flag(false, true),
      groups: map(true),
    },
    check(attributes) {
      return attributes.hostname === undefined ? "Attribute 'hostname' is required" : undefined;
    },
  },
};

const BY_CONFIG_TYPE = new Map<string, ConfigEntityType>(
  (Object.keys(ENTITY_TYPES) as ConfigEntityType[]).map((t) => [ENTITY_TYPES[t].configType, t]),
);

/** Management type for a config-file entity type (`address` → `router.config.address`). */
export function managementTypeOf(configType: string): ConfigEntityType | undefined {
  return BY_CONFIG_TYPE.get(configType);
}

export function isConfigEntityType(short: string): short is ConfigEntityType {
  return Object.hasOwn(ENTITY_TYPES, short);
}

/** Deprecated or alternative attribute names the routers accept, and what they stand for. */
const ALIASES: Record<string, string> = {
  dir: "direction",
  addr: "address",
  externalAddr: "externalAddress",
  enableFallback: "fallback",
};

export class AttributeError extends Error {
  override readonly name = "AttributeError";
}

/** schema.py BooleanType: these words in any case, else Python's truth of the value. */
const BOOLEAN_WORDS: Record<string, boolean> = {
  yes: true,
  true: true,
  on: true,
  no: false,
  false: false,
  off: false,
};

/** A value for an error message, whatever it is (String() throws on some objects). */
function shown(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

function coerce(name: string, spec: AttributeSpec, value: AttributeValue): AttributeValue {
  if (value === null) return null;
  switch (spec.kind) {
    case "integer": {
      const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof n !== "number" || !Number.isInteger(n)) {
        throw new AttributeError(`Attribute '${name}' must be an integer, got ${shown(value)}`);
      }
      return n;
    }
    case "boolean": {
      if (typeof value === "boolean") return value;
      if (typeof value === "number") return value !== 0;
      const lower = typeof value === "string" ? value.toLowerCase() : undefined;
      const word =
        lower !== undefined && Object.hasOwn(BOOLEAN_WORDS, lower)
          ? BOOLEAN_WORDS[lower]
          : undefined;
      if (word === undefined) {
        throw new AttributeError(`Invalid Boolean value '${shown(value)}' for attribute '${name}'`);
      }
      return word;
    }
    case "string": {
      // Numbers are accepted where the schema says string (e.g. port 5672 → "5672").
      const string = typeof value === "number" ? String(value) : value;
      if (typeof string !== "string") {
        throw new AttributeError(`Attribute '${name}' must be a string`);
      }
      if (spec.values && !spec.values.includes(string)) {
        throw new AttributeError(
          `Invalid value '${string}' for attribute '${name}'; allowed: ${spec.values.join(", ")}`,
        );
      }
      return string;
    }
    case "map":
      if (typeof value !== "object" || Array.isArray(value)) {
        throw new AttributeError(`Attribute '${name}' must be a map`);
      }
      return value;
    default:
      return value;
  }
}

/** The attribute name `given` stands for in `type`, or undefined when it has none. */
export function attributeNameOf(type: ConfigEntityType, given: string): string | undefined {
  const attributes = ENTITY_TYPES[type].attributes;
  if (Object.hasOwn(attributes, given)) return given;
  const alias = Object.hasOwn(ALIASES, given) ? ALIASES[given] : undefined;
  return alias !== undefined && Object.hasOwn(attributes, alias) ? alias : undefined;
}

/**
 * Validates and normalises attributes as the Python agent does for a config file or a
 * CREATE: unknown attributes and bad values throw AttributeError (the agent answers 400 with
 * its message), defaults are filled in.
 */
export function normaliseAttributes(
  type: ConfigEntityType,
  input: Record<string, unknown>,
  flavour: RouterFlavour,
): Attributes {
  const spec = ENTITY_TYPES[type];
  const result: Attributes = {};
  for (const [given, value] of Object.entries(input)) {
    const name = attributeNameOf(type, given);
    if (!name) throw new AttributeError(`Unknown attribute '${given}' for entity type ${type}`);
    if (value === undefined) continue;
    result[name] = coerce(name, spec.attributes[name]!, value as AttributeValue);
  }
  for (const [name, attribute] of Object.entries(spec.attributes)) {
    if (result[name] === undefined && attribute.default !== undefined) {
      result[name] = attribute.default;
    }
  }
  if (type === "router.config.autoLink" && result.phase === undefined) {
    // qdrouterd's default autoLink phase: 0 for outgoing, 1 for incoming.
    result.phase = result.direction === "in" ? 1 : 0;
  }
  const problem = spec.check?.(result, flavour);
  if (problem) throw new AttributeError(problem);
  return result;
}

/** schema.py EntityType.update_check: only `update` attributes may change. */
export function updateProblem(
  type: ConfigEntityType,
  changes: Record<string, unknown>,
  current: Attributes,
): string | undefined {
  for (const [given, value] of Object.entries(changes)) {
    const name = attributeNameOf(type, given);
    if (!name) return `Unknown attribute '${given}' for entity type ${type}`;
    const unchanged = JSON.stringify(current[name]) === JSON.stringify(value);
    if (!ENTITY_TYPES[type].attributes[name]!.update && !unchanged) {
      return `Cannot update attribute '${given}' in UPDATE`;
    }
  }
  return undefined;
}

/** A count or size limit as policy attributes give it: a positive integer, else 0 (none). */
export function limitOf(value: unknown): number {
  const n = Number(value ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** A listener's or connector's `port`: a number, or the service name `amqp` (5672). */
export function portNumber(port: AttributeValue | undefined): number {
  return Number(port === "amqp" ? 5672 : port);
}
