/** The router flavours amqp-mesh configures and manages, and their management type names. */
import { type ManagementEntityType, managementName } from "./entity-types.ts";

export const ROUTER_FLAVOURS = ["qpid-dispatch", "skupper-router"] as const;

/** `qpid-dispatch`: qdrouterd 1.x; `skupper-router`: its successor, skrouterd. */
export type RouterFlavour = (typeof ROUTER_FLAVOURS)[number];

const TYPE_PREFIX: Record<RouterFlavour, string> = {
  "qpid-dispatch": "org.apache.qpid.dispatch",
  "skupper-router": "io.skupper.router",
};

/** The flavour's management type prefix, without the trailing dot. */
export function typePrefix(flavour: RouterFlavour): string {
  return TYPE_PREFIX[flavour];
}

/** Fully qualified management type, e.g. `io.skupper.router.router.config.autoLink`. */
export function qualifiedType(flavour: RouterFlavour, type: ManagementEntityType): string {
  return `${TYPE_PREFIX[flavour]}.${managementName(type)}`;
}

/**
 * The flavour whose type prefix a router's GET-TYPES answer uses (`org.apache.qpid.dispatch.`
 * or `io.skupper.router.`); undefined when it names neither.
 */
export function flavourOfTypes(types: Iterable<string>): RouterFlavour | undefined {
  const names = [...types];
  return ROUTER_FLAVOURS.find((flavour) =>
    names.some((name) => name === `${typePrefix(flavour)}.router`),
  );
}
