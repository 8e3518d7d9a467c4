import type { RouterFlavour } from "../topology/index.ts";

/**
 * The in-memory form of one router's configuration: exactly the entities a qdrouterd /
 * skupper-router config file holds, in file order. Entity types are the short config-file
 * names; management uses the fully qualified names (see qualifiedType).
 */
export type RouterEntityType =
  | "router"
  | "listener"
  | "connector"
  | "sslProfile"
  | "authServicePlugin"
  | "address"
  | "linkRoute"
  | "autoLink"
  | "vhost"
  | "policy"
  | "log";

/** Every config-file section name we read and write, in the order a generated file lists them. */
export const ROUTER_ENTITY_TYPES: readonly RouterEntityType[] = [
  "router",
  "log",
  "authServicePlugin",
  "sslProfile",
  "listener",
  "connector",
  "policy",
  "vhost",
  "address",
  "linkRoute",
  "autoLink",
];

export function isRouterEntityType(value: string): value is RouterEntityType {
  return (ROUTER_ENTITY_TYPES as readonly string[]).includes(value);
}

export type EntityAttributes = Record<string, string | number | boolean | Record<string, unknown>>;

export interface RouterEntity {
  type: RouterEntityType;
  attributes: EntityAttributes;
}

export interface RouterConfig {
  routerId: string;
  mode: "interior" | "edge";
  flavour: RouterFlavour;
  entities: RouterEntity[];
}

/** The two file formats a router reads: its native `.conf` and the JSON list of entities. */
export type RouterConfigFormat = "conf" | "json";

const TYPE_PREFIX: Record<RouterFlavour, string> = {
  "qpid-dispatch": "org.apache.qpid.dispatch",
  "skupper-router": "io.skupper.router",
};

/** Management names of config entities: address → router.config.address, etc. */
const MANAGEMENT_NAME: Record<RouterEntityType, string> = {
  router: "router",
  listener: "listener",
  connector: "connector",
  sslProfile: "sslProfile",
  authServicePlugin: "authServicePlugin",
  address: "router.config.address",
  linkRoute: "router.config.linkRoute",
  autoLink: "router.config.autoLink",
  vhost: "vhost",
  policy: "policy",
  log: "log",
};

/** Fully qualified management type, e.g. org.apache.qpid.dispatch.router.config.address. */
export function qualifiedType(flavour: RouterFlavour, type: RouterEntityType): string {
  return `${TYPE_PREFIX[flavour]}.${MANAGEMENT_NAME[type]}`;
}

export function typePrefix(flavour: RouterFlavour): string {
  return TYPE_PREFIX[flavour];
}

/** Name prefix of every entity amqp-mesh creates; config-sync never touches others. */
export const OWNED_NAME_PREFIX = "amqp-mesh/";

/** The entity's `name` attribute, if it has a string one. */
export function entityName(entity: RouterEntity): string | undefined {
  const name = entity.attributes.name;
  return typeof name === "string" ? name : undefined;
}

export function isOwnedEntity(entity: RouterEntity): boolean {
  return entityName(entity)?.startsWith(OWNED_NAME_PREFIX) ?? false;
}

/** Config sections with exactly one, unnamed entity per router. */
export const SINGLETON_TYPES: ReadonlySet<RouterEntityType> = new Set(["router", "policy"]);

/** Identifies an entity within one router's config: its type, and its name unless a singleton. */
export function entityKey(type: RouterEntityType, name: string | undefined): string {
  return SINGLETON_TYPES.has(type) ? type : `${type}\n${name ?? ""}`;
}
