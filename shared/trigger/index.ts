/** Channel triggers: one handler definition, run by every front (bridge, queues, in-process). */
export {
  ATTEMPT_LEDGER_LIMIT,
  type AttemptLedger,
  attemptKey,
  FileAttemptLedger,
  MemoryAttemptLedger,
} from "./attempt-ledger.ts";
export {
  type BatchRunOptions,
  matchBatchFailures,
  runChannelBatch,
} from "./batch.ts";
export {
  type BridgeClient,
  type BridgeFatalError,
  type BridgeOptions,
  type BridgeStats,
  ChannelBridge,
} from "./bridge.ts";
export {
  type ChannelCatalog,
  channelCatalog,
  liveChannelCatalog,
  type TriggerChannel,
} from "./catalog.ts";
export { type TriggerContextOptions, triggerContext } from "./context.ts";
export {
  type BatchItemFailure,
  type BatchResponse,
  type ChannelHandler,
  type ChannelHandlerDefinition,
  type ChannelHandlerOptions,
  type ChannelMessage,
  type CloudEventAttributes,
  defineChannelHandler,
  isChannelHandlerDefinition,
  type MessageTrace,
  type PayloadOf,
  type PublishFromFunctionOptions,
  type TriggerContext,
  type TypedChannel,
} from "./definition.ts";
export { assembleTrigger, type DeployedTrigger } from "./deployment.ts";
export {
  ChannelHandlerDefinitionError,
  ChannelMismatchError,
  InvocationEventError,
  InvokeError,
  PublishNotConfiguredError,
  PublishPayloadInvalidError,
  QueuedBatchFailedError,
  RecordInvalidError,
  TriggerConfigError,
  TriggerError,
  UnknownChannelError,
} from "./errors.ts";
export { type HttpInvokerOptions, httpInvoker } from "./http-invoker.ts";
export { messageIdempotencyKey, recordIdempotencyKey } from "./idempotency-key.ts";
export { type InProcessInvokerOptions, inProcessInvoker } from "./in-process-invoker.ts";
export type { FunctionInvoker, InvokeResult } from "./invoker.ts";
export {
  type ChannelPublish,
  channelPublisher,
  type MessageSender,
} from "./publisher.ts";
export {
  type IdempotencyGuard,
  type QueuedBatchOutcome,
  runQueuedBatch,
} from "./queued.ts";
export {
  decodeRecord,
  INVOCATION_FORMAT,
  isTriggerInvocation,
  parseTriggerInvocation,
  recordOfMessage,
  type TriggerInvocation,
  type TriggerRecord,
  triggerInvocationSchema,
} from "./records.ts";
export { catalogOfRegistry } from "./registry-catalog.ts";
export { publishSettingsFromEnv } from "./settings.ts";
