/** Seeing a mesh: its routers read over AMQP management, made into a view of routers, links and channels. */
export {
  type BrokerQueue,
  brokerLogin,
  brokerQueues,
  depthAddress,
  environmentSecrets,
  type SecretLookup,
} from "./broker-queues.ts";
export { REGISTRY_TYPES, readRouterDrift } from "./drift.ts";
export { formatDepth, formatDuration, formatMeshView } from "./format.ts";
export {
  MeshObserver,
  type MeshObserverOptions,
  MIN_INTERVAL_MS,
  type ObservedRouter,
  routerIdOfUrl,
} from "./observer.ts";
export { type BrokerLogin, type DepthReading, readQueueDepths } from "./queue-depth.ts";
export {
  type AddressRow,
  type ConnectionRow,
  type LinkRow,
  mobileAddress,
  type NodeRow,
  type RouterSample,
  readRouterSample,
} from "./sample.ts";
export {
  buildMeshView,
  type ChannelView,
  channelOf,
  type DriftEntry,
  type LinkView,
  type MeshView,
  type ObservedProject,
  type PerRouterCount,
  type QueueDepthView,
  RateMeter,
  type RouterDrift,
  type RouterState,
  type RouterStatus,
  type RouterView,
} from "./view.ts";
