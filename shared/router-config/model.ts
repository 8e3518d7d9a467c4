import type { RouterFlavour } from "../topology/schema.ts";

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
