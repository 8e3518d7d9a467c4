/**
 * The router's vocabulary: flavours, entity types and their qualified names per flavour,
 * singletons, creation order, and what each flavour has. Imports nothing of amqp-mesh.
 */

export {
  CREATE_ORDER,
  createRanking,
  isManagementEntityType,
  isRouterEntityType,
  isRuntimeEntityType,
  type ManagementEntityType,
  managementName,
  ROUTER_ENTITY_TYPES,
  type RouterEntityType,
  RUNTIME_ENTITY_TYPES,
  type RuntimeEntityType,
  SINGLETON_TYPES,
} from "./entity-types.ts";
export {
  ADDRESS_DISTRIBUTIONS,
  type AddressDistribution,
  FLAVOUR_FACTS,
  type FlavourFacts,
  flavourHasType,
} from "./facts.ts";
export {
  flavourOfTypes,
  qualifiedType,
  ROUTER_FLAVOURS,
  type RouterFlavour,
  typePrefix,
} from "./flavours.ts";
