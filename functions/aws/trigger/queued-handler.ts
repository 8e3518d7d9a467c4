/**
 * A channel handler definition as a Lambda handler in queued mode: an Amazon MQ (ActiveMQ)
 * event from an event source mapping, and the bridge's invocation as in bridge mode. Lambda
 * takes no partial batch response for Amazon MQ, so any failed message fails the invocation
 * and ActiveMQ redelivers the whole batch (after its redelivery limit, to its DLQ). With an
 * idempotency guard the messages done in an earlier delivery are not run again.
 */

import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import {
  type ChannelHandlerDefinition,
  InvocationEventError,
  isTriggerInvocation,
  QueuedBatchFailedError,
  runQueuedBatch,
  triggerContext,
} from "../../../shared/trigger/index.ts";
import type { ContextualIdempotencyGuard } from "../../idempotency/index.ts";
import { isAmazonMqEvent, parseAmazonMqEvent, recordsOfAmazonMqEvent } from "./amazon-mq-event.ts";
import {
  bridgeInvocationCore,
  coreLogging,
  type QueuedResult,
  type TriggerHandlerOptions,
  type TriggerLambdaHandler,
  withPowertools,
} from "./handler.ts";

export interface QueuedTriggerHandlerOptions extends TriggerHandlerOptions {
  /** Each message id run once across redeliveries (none: every redelivery runs every message). */
  idempotency: ContextualIdempotencyGuard | undefined;
}

export function createQueuedTriggerLambdaHandler<T>(
  definition: ChannelHandlerDefinition<T>,
  options: QueuedTriggerHandlerOptions,
): TriggerLambdaHandler {
  const { logger, metrics } = options;
  const { log, onHandlerError } = coreLogging(logger);
  const bridge = bridgeInvocationCore(definition, options);
  const queued = async (event: unknown, lambda: Context): Promise<QueuedResult> => {
    const mq = parseAmazonMqEvent(event);
    options.idempotency?.registerLambdaContext(lambda);
    const records = recordsOfAmazonMqEvent(mq);
    const context = triggerContext({
      platform: "aws-lambda",
      mode: "queued",
      publish: options.publish,
      remainingMs: () => lambda.getRemainingTimeInMillis(),
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
      queue: mq.messages[0]?.destination.physicalName,
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
  return withPowertools(options, async (event, lambda) => {
    if (isTriggerInvocation(event)) return bridge(event, lambda);
    if (isAmazonMqEvent(event)) return queued(event, lambda);
    throw new InvocationEventError([
      "expected the bridge's invocation (format amqp-mesh/trigger-invocation/1) or an Amazon MQ event (eventSource aws:mq)",
    ]);
  });
}
