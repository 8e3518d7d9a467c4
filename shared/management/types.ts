/**
 * Entity types by their management names: the router's vocabulary (shared/router-vocabulary)
 * as requests name them, refusing a type the router's flavour has not.
 */
import {
  FLAVOUR_FACTS,
  flavourHasType,
  type ManagementEntityType,
  qualifiedType,
  ROUTER_ENTITY_TYPES,
  type RouterFlavour,
  RUNTIME_ENTITY_TYPES,
} from "../router-vocabulary/index.ts";
import { ManagementTypeError } from "./errors.ts";

export {
  flavourOfTypes,
  isManagementEntityType,
  type ManagementEntityType,
  type RuntimeEntityType,
} from "../router-vocabulary/index.ts";

/** The fully qualified name, e.g. `io.skupper.router.router.config.autoLink`. */
export function managementTypeName(flavour: RouterFlavour, type: ManagementEntityType): string {
  if (!flavourHasType(flavour, type)) {
    throw new ManagementTypeError(
      `${flavour} has no entity type '${type}'`,
      type === "linkRoute" && !FLAVOUR_FACTS[flavour].linkRoutes
        ? "skupper-router removed link routes: use autoLinks (the generator does so for this flavour)"
        : "ask for a type the router's flavour has (GET-TYPES lists them)",
    );
  }
  return qualifiedType(flavour, type);
}

/** The short name back from a qualified one; undefined for types amqp-mesh does not name. */
export function shortTypeName(
  flavour: RouterFlavour,
  qualified: string,
): ManagementEntityType | undefined {
  for (const type of [...ROUTER_ENTITY_TYPES, ...RUNTIME_ENTITY_TYPES]) {
    if (!flavourHasType(flavour, type)) continue;
    if (qualifiedType(flavour, type) === qualified) return type;
  }
  return undefined;
}

/** The management node's own type, for its operations (QUERY, GET-TYPES, GET-MGMT-NODES). */
export const MANAGEMENT_NODE_TYPE = "org.amqp.management";
