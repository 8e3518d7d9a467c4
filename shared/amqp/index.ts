/** The shared AMQP client: the only way amqp-mesh code reaches AMQP. */
export { getSharedClient, MeshClient } from "./client.ts";
export {
  CLOUDEVENTS_JSON,
  type CloudEvent,
  checkCloudEvent,
  cloudEventSchema,
  fromAmqpMessage,
  type ToAmqpOptions,
  toAmqpMessage,
} from "./cloudevents.ts";
export {
  configKey,
  type MeshClientConfig,
  type MeshClientConfigInput,
  meshClientConfigSchema,
  parseMeshClientConfig,
  redactConfig,
  redactUrl,
} from "./config.ts";
export type { ConnectionState } from "./connection.ts";
export type { ConsumeOptions, Consumer, DeliveryInfo, MessageHandler } from "./consume.ts";
export {
  isJsonContentType,
  isJsonEssence,
  type MediaType,
  type MediaTypeReading,
  mediaEssence,
  readMediaType,
} from "./content-type.ts";
export {
  BackPressureError,
  ClientClosedError,
  CloudEventInvalidError,
  ConfigError,
  ConnectionFailedError,
  type ConnectionFailureCause,
  type ConnectionFailureKind,
  isBackPressureError,
  isFinalConnectionFailure,
  isMeshError,
  isMeshErrorWithCode,
  isPublishRejectedError,
  isRetryable,
  isTransientLinkCondition,
  isTransientPublishError,
  LinkRefusedError,
  MeshError,
  type MeshErrorCode,
  MessageInvalidError,
  NoConsumerError,
  NoRouteError,
  PermanentError,
  PublishRejectedError,
  PublishTimeoutError,
  RequestTimeoutError,
  RetryableError,
  TRANSIENT_LINK_CONDITIONS,
} from "./errors.ts";
export { MAX_TIMER_MS } from "./limits.ts";
export {
  type ApplicationPropertyValue,
  type JsonValue,
  keyedByInput,
  type MeshMessage,
  type MessageBody,
  meshMessageSchema,
  type ReceivedMessage,
} from "./message.ts";
export type { PublishOptions, PublishResult } from "./publish.ts";
export {
  getSharedPublisher,
  type MeshClientOptions,
  type MeshClientStatus,
  MeshPublisher,
} from "./publisher.ts";
export { publisherFor, RenewablePublisher } from "./renewable-publisher.ts";
export type { RequestOptions } from "./request.ts";
export { englishMessages, issueLines } from "./schema-issues.ts";
export type { DeliveryMode } from "./sender-pool.ts";
export {
  extractTraceContext,
  formatTraceparent,
  injectTraceContext,
  parseTraceparent,
  W3CTraceContext,
} from "./trace-context.ts";
