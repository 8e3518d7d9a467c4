/** Router configuration: generation from registry + topology, file formats, change plans. */

// The router's vocabulary, which a config is written in (its home: shared/router-vocabulary).
export {
  FLAVOUR_FACTS,
  type FlavourFacts,
  qualifiedType,
  ROUTER_ENTITY_TYPES,
  type RouterEntityType,
  SINGLETON_TYPES,
  typePrefix,
} from "../router-vocabulary/index.ts";
export { externalPrefixes } from "./channels.ts";
export { parseConfFile, renderConfFile } from "./conf-format.ts";
export { ROUTERS_VHOST, renderSaslConfig, SASL_CONFIG_NAME } from "./connections.ts";
export { RouterConfigParseError, RouterConfigRenderError } from "./errors.ts";
export { type GenerateOptions, type GenerationResult, generateRouterConfigs } from "./generate.ts";
export { ROUTER_IMAGES } from "./images.ts";
export { parseJsonFile, renderJsonFile } from "./json-format.ts";
export {
  type EntityAttributes,
  entityKey,
  entityName,
  isOwnedEntity,
  OWNED_NAME_PREFIX,
  type RouterConfig,
  type RouterConfigFormat,
  type RouterEntity,
} from "./model.ts";
export {
  formatRouterPlans,
  hasChanges,
  planRouterChanges,
  type RouterChangePlan,
  type RouterEntityUpdate,
} from "./plan.ts";
export {
  consumerAddresses,
  consumerAddressOf,
  hasQueueOutlet,
  QUEUE_OUTLET_PREFIX,
  queueOutletAddress,
} from "./queue-outlet.ts";
export { readRouterConfigFile, readRouterConfigs } from "./read.ts";
export { isPolicyUserName } from "./scope.ts";
export {
  type ConfigSetSummary,
  type RouterFileSummary,
  renderRouterFile,
  SASL_CONFIG_FILE,
  SUMMARY_FILE,
  summarizeConfigs,
  type WriteOptions,
  writeRouterConfigs,
} from "./write.ts";
