/**
 * The router's entity types as amqp-mesh names them: the config-file sections (short names,
 * `address`; management calls it `router.config.address`) and the runtime types read over
 * management; which are singletons, and the order in which they are created.
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

/** Types that show a router's state, read over management only; their names are the management names. */
export type RuntimeEntityType =
  | "routerMetrics"
  | "router.node"
  | "router.address"
  | "router.link"
  | "connection"
  | "allocator";

export const RUNTIME_ENTITY_TYPES: readonly RuntimeEntityType[] = [
  "routerMetrics",
  "router.node",
  "router.address",
  "router.link",
  "connection",
  "allocator",
];

/** Entity types a management request can name. */
export type ManagementEntityType = RouterEntityType | RuntimeEntityType;

export function isRuntimeEntityType(value: string): value is RuntimeEntityType {
  return (RUNTIME_ENTITY_TYPES as readonly string[]).includes(value);
}

export function isManagementEntityType(value: string): value is ManagementEntityType {
  return isRouterEntityType(value) || isRuntimeEntityType(value);
}

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

/** The management name after the flavour prefix: `router.config.address` for `address`. */
export function managementName(type: ManagementEntityType): string {
  return MANAGEMENT_NAME[type as RouterEntityType] ?? type;
}

/** Config sections with exactly one, unnamed entity per router. */
export const SINGLETON_TYPES: ReadonlySet<RouterEntityType> = new Set(["router", "policy"]);

/**
 * Creation order: profiles before the connections that use them, connections before the
 * link routes and auto-links naming them. Deletion runs the other way round. (Not the file
 * order: a file lists the policy after the connectors.)
 */
export const CREATE_ORDER: readonly RouterEntityType[] = [
  "router",
  "policy",
  "log",
  "authServicePlugin",
  "sslProfile",
  "listener",
  "connector",
  "vhost",
  "address",
  "linkRoute",
  "autoLink",
];

/**
 * The rank of each type of `among` in CREATE_ORDER (0 for the first of them), every other
 * type after them all: a sort key. A change plan of whole configs ranks every type; config-sync
 * ranks the types it changes live, anything else after them.
 */
export function createRanking(
  among: ReadonlySet<RouterEntityType>,
): (type: RouterEntityType) => number {
  const order = CREATE_ORDER.filter((type) => among.has(type));
  return (type) => {
    const index = order.indexOf(type);
    return index < 0 ? order.length : index;
  };
}
