import {
  qualifiedType,
  ROUTER_ENTITY_TYPES,
  type RouterEntityType,
  typePrefix,
} from "../router-config/index.ts";
import type { RouterFlavour } from "../topology/index.ts";
import { ManagementTypeError } from "./errors.ts";

/**
 * Entity types a management request can name: the config-file sections (`address` is
 * `router.config.address` on the wire) and the runtime types sync reads. Runtime names are
 * the management names themselves.
 */
export type RuntimeEntityType =
  | "routerMetrics"
  | "router.node"
  | "router.address"
  | "router.link"
  | "connection"
  | "allocator";

export type ManagementEntityType = RouterEntityType | RuntimeEntityType;

const RUNTIME_TYPES: readonly RuntimeEntityType[] = [
  "routerMetrics",
  "router.node",
  "router.address",
  "router.link",
  "connection",
  "allocator",
];

/**
 * Types a flavour lacks: skupper-router removed linkRoute and authServicePlugin; only
 * skupper-router has routerMetrics (its router entity has no counters, and no uptime).
 * Seen in GET-TYPES of qdrouterd 1.19.0 and skupper-router 3.5.1.
 */
const MISSING: Record<RouterFlavour, ReadonlySet<ManagementEntityType>> = {
  "qpid-dispatch": new Set(["routerMetrics"]),
  "skupper-router": new Set(["linkRoute", "authServicePlugin"]),
};

export function isManagementEntityType(value: string): value is ManagementEntityType {
  return (
    (ROUTER_ENTITY_TYPES as readonly string[]).includes(value) ||
    (RUNTIME_TYPES as readonly string[]).includes(value)
  );
}

/** The fully qualified name, e.g. `io.skupper.router.router.config.autoLink`. */
export function managementTypeName(flavour: RouterFlavour, type: ManagementEntityType): string {
  if (MISSING[flavour].has(type)) {
    throw new ManagementTypeError(
      `${flavour} has no entity type '${type}'`,
      flavour === "skupper-router" && type === "linkRoute"
        ? "skupper-router removed link routes: use autoLinks (the generator does so for this flavour)"
        : "ask for a type the router's flavour has (GET-TYPES lists them)",
    );
  }
  return (RUNTIME_TYPES as readonly string[]).includes(type)
    ? `${typePrefix(flavour)}.${type}`
    : qualifiedType(flavour, type as RouterEntityType);
}

/** The short name back from a qualified one; undefined for types amqp-mesh does not name. */
export function shortTypeName(
  flavour: RouterFlavour,
  qualified: string,
): ManagementEntityType | undefined {
  for (const type of [...ROUTER_ENTITY_TYPES, ...RUNTIME_TYPES]) {
    if (MISSING[flavour].has(type)) continue;
    if (managementTypeName(flavour, type) === qualified) return type;
  }
  return undefined;
}

const FLAVOURS: readonly RouterFlavour[] = ["qpid-dispatch", "skupper-router"];

/**
 * The flavour whose type prefix the router's GET-TYPES answer uses (`org.apache.qpid.dispatch.`
 * or `io.skupper.router.`); undefined when it names neither.
 */
export function flavourOfTypes(types: Iterable<string>): RouterFlavour | undefined {
  const names = [...types];
  return FLAVOURS.find((flavour) => names.some((name) => name === `${typePrefix(flavour)}.router`));
}

/** The management node's own type, for its operations (QUERY, GET-TYPES, GET-MGMT-NODES). */
export const MANAGEMENT_NODE_TYPE = "org.amqp.management";
