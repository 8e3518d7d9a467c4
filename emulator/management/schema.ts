/**
 * The management schema of the configurable entities the emulator supports: attribute
 * names, defaults, allowed values and which operations a type has. Mirrors the parts of
 * qdrouterd's `qdrouter.json` (python/qpid_dispatch/management/qdrouter.json) that
 * amqp-mesh uses; values are normalised the way the real router returns them.
 */
import type { RouterFlavour } from "../../shared/topology/schema.ts";

export type AttributeValue = string | number | boolean | null | Record<string, unknown> | unknown[];
export type Attributes = Record<string, AttributeValue>;

/** Short management names (after the flavour prefix) of types with CRUD. */
export type ConfigEntityType =
  | "router.config.address"
  | "router.config.linkRoute"
  | "router.config.autoLink"
  | "listener"
  | "connector"
  | "sslProfile"
  | "vhost";

/** Types that are only read (QUERY/READ) and reflect runtime state. */
export type RuntimeEntityType =
  | "router"
  | "connection"
  | "router.link"
  | "router.address"
  | "router.node"
  | "management";

export type Operation = "CREATE" | "READ" | "UPDATE" | "DELETE" | "QUERY";

type Kind = "string" | "integer" | "boolean" | "map" | "list" | "any";

interface AttributeSpec {
  kind: Kind;
  default?: AttributeValue;
  values?: readonly string[];
}

export interface EntityTypeSpec {
  operations: readonly Operation[];
  attributes: Record<string, AttributeSpec>;
  /** Config-file entity type whose entities map to this management type. */
  configType: string;
  /** Checks beyond single attributes; returns a problem description or undefined. */
  check?(attributes: Attributes, flavour: RouterFlavour): string | undefined;
}

const common: Record<string, AttributeSpec> = {
  name: { kind: "string" },
  identity: { kind: "string" },
  type: { kind: "string" },
};

const connectionCommon: Record<string, AttributeSpec> = {
  host: { kind: "string", default: "" },
  // qdrouterd returns `port` as a string whatever was configured.
  port: { kind: "string", default: "amqp" },
  role: {
    kind: "string",
    default: "normal",
    values: ["normal", "inter-router", "route-container", "edge"],
  },
  cost: { kind: "integer", default: 1 },
  saslMechanisms: { kind: "string" },
  sslProfile: { kind: "string" },
  maxFrameSize: { kind: "integer", default: 16384 },
  maxSessions: { kind: "integer", default: 32768 },
  idleTimeoutSeconds: { kind: "integer", default: 16 },
  linkCapacity: { kind: "integer" },
  messageLoggingComponents: { kind: "string", default: "none" },
  failoverUrls: { kind: "string" },
  verifyHostname: { kind: "boolean", default: true },
};

function exactlyOne(a: string, b: string) {
  return (attributes: Attributes): string | undefined => {
    const hasA = attributes[a] !== undefined && attributes[a] !== null;
    const hasB = attributes[b] !== undefined && attributes[b] !== null;
    if (hasA === hasB) return `Exactly one of '${a}' or '${b}' must be specified`;
    return undefined;
  };
}

export const ENTITY_TYPES: Record<ConfigEntityType, EntityTypeSpec> = {
  "router.config.address": {
    configType: "address",
    operations: ["CREATE", "READ", "DELETE", "QUERY"],
    attributes: {
      ...common,
      prefix: { kind: "string" },
      pattern: { kind: "string" },
      distribution: {
        kind: "string",
        default: "balanced",
        values: ["multicast", "closest", "balanced", "unavailable"],
      },
      waypoint: { kind: "boolean", default: false },
      ingressPhase: { kind: "integer" },
      egressPhase: { kind: "integer" },
      priority: { kind: "integer", default: -1 },
      fallback: { kind: "boolean", default: false },
    },
    check: exactlyOne("prefix", "pattern"),
  },
  "router.config.linkRoute": {
    configType: "linkRoute",
    operations: ["CREATE", "READ", "DELETE", "QUERY"],
    attributes: {
      ...common,
      prefix: { kind: "string" },
      pattern: { kind: "string" },
      addExternalPrefix: { kind: "string" },
      delExternalPrefix: { kind: "string" },
      containerId: { kind: "string" },
      connection: { kind: "string" },
      distribution: { kind: "string", default: "linkBalanced", values: ["linkBalanced"] },
      direction: { kind: "string", values: ["in", "out"] },
      operStatus: { kind: "string", default: "inactive" },
    },
    check(attributes, flavour) {
      if (flavour === "skupper-router") return "linkRoute is not supported by skupper-router";
      if (attributes.direction === undefined) return "Attribute 'direction' is required";
      return exactlyOne("prefix", "pattern")(attributes);
    },
  },
  "router.config.autoLink": {
    configType: "autoLink",
    operations: ["CREATE", "READ", "DELETE", "QUERY"],
    attributes: {
      ...common,
      address: { kind: "string" },
      direction: { kind: "string", values: ["in", "out"] },
      phase: { kind: "integer" },
      containerId: { kind: "string" },
      connection: { kind: "string" },
      externalAddress: { kind: "string" },
      fallback: { kind: "boolean", default: false },
      operStatus: { kind: "string", default: "inactive" },
      lastError: { kind: "string" },
      linkRef: { kind: "string" },
    },
    check(attributes) {
      if (attributes.address === undefined) return "Attribute 'address' is required";
      if (attributes.direction === undefined) return "Attribute 'direction' is required";
      if (attributes.containerId === undefined && attributes.connection === undefined) {
        return "One of 'containerId' or 'connection' must be specified";
      }
      return undefined;
    },
  },
  listener: {
    configType: "listener",
    operations: ["CREATE", "READ", "DELETE", "QUERY"],
    attributes: {
      ...common,
      ...connectionCommon,
      authenticatePeer: { kind: "boolean", default: false },
      requireEncryption: { kind: "boolean", default: false },
      requireSsl: { kind: "boolean", default: false },
      maxMessageSize: { kind: "integer", default: 0 },
      policyVhost: { kind: "string" },
      http: { kind: "boolean", default: false },
      websockets: { kind: "boolean", default: true },
      healthz: { kind: "boolean", default: true },
      metrics: { kind: "boolean", default: true },
      multiTenant: { kind: "boolean", default: false },
      stripAnnotations: { kind: "string", default: "both", values: ["in", "out", "both", "no"] },
      initialHandshakeTimeoutSeconds: { kind: "integer", default: 0 },
    },
  },
  connector: {
    configType: "connector",
    operations: ["CREATE", "READ", "DELETE", "QUERY"],
    attributes: {
      ...common,
      ...connectionCommon,
      saslUsername: { kind: "string" },
      saslPassword: { kind: "string" },
      connectionStatus: { kind: "string" },
      connectionMsg: { kind: "string" },
    },
  },
  sslProfile: {
    configType: "sslProfile",
    operations: ["CREATE", "READ", "UPDATE", "DELETE", "QUERY"],
    attributes: {
      ...common,
      ciphers: { kind: "string" },
      protocols: { kind: "string" },
      caCertFile: { kind: "string" },
      certFile: { kind: "string" },
      privateKeyFile: { kind: "string" },
      passwordFile: { kind: "string" },
      password: { kind: "string" },
      uidFormat: { kind: "string" },
      uidNameMappingFile: { kind: "string" },
    },
  },
  vhost: {
    configType: "vhost",
    operations: ["CREATE", "READ", "UPDATE", "DELETE", "QUERY"],
    attributes: {
      ...common,
      hostname: { kind: "string" },
      maxConnections: { kind: "integer", default: 65535 },
      maxMessageSize: { kind: "integer", default: 0 },
      maxConnectionsPerUser: { kind: "integer", default: 65535 },
      maxConnectionsPerHost: { kind: "integer", default: 65535 },
      allowUnknownUser: { kind: "boolean", default: false },
      groups: { kind: "map" },
    },
    check(attributes) {
      return attributes.hostname === undefined ? "Attribute 'hostname' is required" : undefined;
    },
  },
};

export const RUNTIME_TYPES: readonly RuntimeEntityType[] = [
  "router",
  "connection",
  "router.link",
  "router.address",
  "router.node",
  "management",
];

const BY_CONFIG_TYPE = new Map<string, ConfigEntityType>(
  (Object.keys(ENTITY_TYPES) as ConfigEntityType[]).map((t) => [ENTITY_TYPES[t].configType, t]),
);

/** Management type for a config-file entity type (`address` → `router.config.address`). */
export function managementTypeOf(configType: string): ConfigEntityType | undefined {
  return BY_CONFIG_TYPE.get(configType);
}

/** Deprecated attribute names qdrouterd still accepts, and what they stand for. */
const DEPRECATED_NAMES: Record<string, string> = {
  dir: "direction",
  addr: "address",
  externalAddr: "externalAddress",
};

export class AttributeError extends Error {
  override readonly name = "AttributeError";
}

function coerce(name: string, spec: AttributeSpec, value: AttributeValue): AttributeValue {
  if (value === null) return null;
  switch (spec.kind) {
    case "integer": {
      const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof n !== "number" || !Number.isInteger(n)) {
        throw new AttributeError(`Attribute '${name}' must be an integer, got ${String(value)}`);
      }
      return n;
    }
    case "boolean": {
      if (typeof value === "boolean") return value;
      if (value === "yes" || value === "true") return true;
      if (value === "no" || value === "false") return false;
      throw new AttributeError(`Attribute '${name}' must be a boolean, got ${String(value)}`);
    }
    case "string": {
      // Numbers are accepted where the schema says string (e.g. port 5672 → "5672").
      const text = typeof value === "number" ? String(value) : value;
      if (typeof text !== "string") {
        throw new AttributeError(`Attribute '${name}' must be a string`);
      }
      if (spec.values && !spec.values.includes(text)) {
        throw new AttributeError(
          `Invalid value '${text}' for attribute '${name}'; allowed: ${spec.values.join(", ")}`,
        );
      }
      return text;
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

/**
 * Validates and normalises attributes for CREATE/UPDATE: unknown attributes and bad values
 * throw AttributeError (the agent answers 400 with its message), defaults are filled in.
 */
export function normaliseAttributes(
  type: ConfigEntityType,
  input: Record<string, unknown>,
  flavour: RouterFlavour,
): Attributes {
  const spec = ENTITY_TYPES[type];
  const result: Attributes = {};
  for (const [given, value] of Object.entries(input)) {
    // qdrouter.json keeps deprecated spellings (dir, addr, externalAddr) working.
    const name = spec.attributes[given] ? given : (DEPRECATED_NAMES[given] ?? given);
    const attribute = spec.attributes[name];
    if (!attribute) {
      throw new AttributeError(`Unknown attribute '${given}' for entity type ${type}`);
    }
    if (value === undefined) continue;
    result[name] = coerce(name, attribute, value as AttributeValue);
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
  if (type === "router.config.autoLink" && result.externalAddress === undefined) {
    result.externalAddress = null;
  }
  const problem = spec.check?.(result, flavour);
  if (problem) throw new AttributeError(problem);
  return result;
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

export function attributeNamesOf(type: ConfigEntityType): string[] {
  return Object.keys(ENTITY_TYPES[type].attributes);
}
