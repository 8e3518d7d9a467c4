/**
 * A channel handler definition as a Lambda handler: middy with Powertools logger and
 * metrics around one core call. It takes the two events a trigger function gets:
 *
 * - the bridge's invocation (Lambda Invoke from `amqp-mesh bridge`): answers
 *   `{ batchItemFailures }`, which the bridge settles message by message;
 * - an Amazon MQ (ActiveMQ) event from an event source mapping: Lambda takes no partial
 *   batch response there, so any failed message fails the invocation and the whole batch is
 *   redelivered by ActiveMQ (and, after its redelivery limit, moved to its DLQ). With an
 *   idempotency guard the messages done in an earlier delivery are not run again.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import {
  type BatchResponse,
  type ChannelCatalog,
  type ChannelHandlerDefinition,
  type ChannelPublish,
  InvocationEventError,
  isTriggerInvocation,
  parseTriggerInvocation,
  QueuedBatchFailedError,
  runChannelBatch,
  runQueuedBatch,
  triggerContext,
} from "../../../shared/trigger/index.ts";
import type { ContextualIdempotencyGuard } from "../../trigger-idempotency.ts";
import {
  type AmazonMqEvent,
  isAmazonMqEvent,
  parseAmazonMqEvent,
  recordsOfAmazonMqEvent,
} from "./amazon-mq-event.ts";

export interface TriggerHandlerOptions {
  catalog: ChannelCatalog;
  publish: ChannelPublish;
  logger: Logger;
  metrics: Metrics;
  /** For Amazon MQ events: each message id run once across redeliveries. */
  idempotency?: ContextualIdempotencyGuard | undefined;
}

/** What an Amazon MQ invocation returns when every message succeeded (Lambda ignores it). */
export interface QueuedResult {
  processed: number;
  skipped: number;
}

export type TriggerLambdaHandler = (
  event: unknown,
  context: Context,
) => Promise<BatchResponse | QueuedResult>;

export function createTriggerLambdaHandler<T>(
  definition: ChannelHandlerDefinition<T>,
  options: TriggerHandlerOptions,
): TriggerLambdaHandler {
  const { logger, metrics } = options;
  const log = (message: string, fields?: Record<string, unknown>) =>
    logger.info(message, fields ?? {});
  const onHandlerError = (error: unknown) =>
    logger.error("handler failed", { error: error as Error });
  const core = async (event: unknown, lambda: Context): Promise<BatchResponse | QueuedResult> => {
    const remainingMs = () => lambda.getRemainingTimeInMillis();
    if (isTriggerInvocation(event)) {
      const invocation = parseTriggerInvocation(event);
      const context = triggerContext({
        platform: "aws-lambda",
        mode: "bridge",
        publish: options.publish,
        remainingMs,
        log,
      });
      const response = await runChannelBatch(definition, invocation.channel, invocation.records, {
        catalog: options.catalog,
        context,
        onHandlerError,
      });
      const failed = response.batchItemFailures.length;
      metrics.addMetric("MessagesSucceeded", MetricUnit.Count, invocation.records.length - failed);
      metrics.addMetric("MessagesFailed", MetricUnit.Count, failed);
      logger.info("batch", {
        channel: definition.channel,
        size: invocation.records.length,
        failed,
      });
      return response;
    }
    if (isAmazonMqEvent(event)) return queued(parseAmazonMqEvent(event), lambda, remainingMs);
    throw new InvocationEventError([
      "expected the bridge's invocation (format amqp-mesh/trigger-invocation/1) or an Amazon MQ event (eventSource aws:mq)",
    ]);
  };
  const queued = async (
    event: AmazonMqEvent,
    lambda: Context,
    remainingMs: () => number,
  ): Promise<QueuedResult> => {
    options.idempotency?.registerLambdaContext(lambda);
    const records = recordsOfAmazonMqEvent(event);
    const context = triggerContext({
      platform: "aws-lambda",
      mode: "queued",
      publish: options.publish,
      remainingMs,
      log,
    });
    const outcome = await runQueuedBatch(definition, definition.channel, records, {
      catalog: options.catalog,
      context,
      onHandlerError,
      idempotency: options.idempotency,
    });
    metrics.addMetric("MessagesSucceeded", MetricUnit.Count, outcome.processed.length);
    metrics.addMetric("MessagesSkipped", MetricUnit.Count, outcome.skipped.length);
    metrics.addMetric("MessagesFailed", MetricUnit.Count, outcome.failures.length);
    logger.info("queued batch", {
      channel: definition.channel,
      queue: event.messages[0]?.destination.physicalName,
      size: records.length,
      processed: outcome.processed.length,
      skipped: outcome.skipped.length,
      failed: outcome.failures.length,
    });
    // No partial batch response for Amazon MQ: failing the invocation redelivers the batch.
    if (outcome.failures.length > 0)
      throw new QueuedBatchFailedError(definition.channel, outcome.failures, records.length);
    return { processed: outcome.processed.length, skipped: outcome.skipped.length };
  };
  const handler = middy<unknown, BatchResponse | QueuedResult>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(core);
  return handler as unknown as TriggerLambdaHandler;
}
