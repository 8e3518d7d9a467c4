/**
 * A channel handler definition as a Lambda handler in bridge mode: middy with Powertools
 * logger and metrics around one core call. It takes the bridge's invocation (Lambda Invoke
 * from `amqp-mesh bridge`) and answers `{ batchItemFailures }`, which the bridge settles
 * message by message.
 *
 * Queued mode (an Amazon MQ event source mapping) is `queued-handler.ts`: a bundle built on
 * this module alone carries neither the Amazon MQ event nor the idempotency guard.
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
  runChannelBatch,
  triggerContext,
} from "../../../shared/trigger/index.ts";

export interface TriggerHandlerOptions {
  catalog: ChannelCatalog;
  publish: ChannelPublish;
  logger: Logger;
  metrics: Metrics;
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

/** The core of a trigger handler: one event in, the answer out (middy goes around it). */
export type TriggerCore = (
  event: unknown,
  lambda: Context,
) => Promise<BatchResponse | QueuedResult>;

/** The handler's log line writer and the handler-error report, over the Powertools logger. */
export function coreLogging(logger: Logger) {
  return {
    log: (message: string, fields?: Record<string, unknown>) => logger.info(message, fields ?? {}),
    onHandlerError: (error: unknown) => logger.error("handler failed", { error: error as Error }),
  };
}

/** The bridge's invocation (format amqp-mesh/trigger-invocation/1) → `{ batchItemFailures }`. */
export function bridgeInvocationCore<T>(
  definition: ChannelHandlerDefinition<T>,
  options: TriggerHandlerOptions,
): (event: unknown, lambda: Context) => Promise<BatchResponse> {
  const { logger, metrics } = options;
  const { log, onHandlerError } = coreLogging(logger);
  return async (event, lambda) => {
    const invocation = parseTriggerInvocation(event);
    const context = triggerContext({
      platform: "aws-lambda",
      mode: "bridge",
      publish: options.publish,
      remainingMs: () => lambda.getRemainingTimeInMillis(),
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
    logger.info("batch", { channel: definition.channel, size: invocation.records.length, failed });
    return response;
  };
}

/** The core as the Lambda handler: Powertools' context in the logs, metrics flushed (EMF). */
export function withPowertools(
  options: Pick<TriggerHandlerOptions, "logger" | "metrics">,
  core: TriggerCore,
): TriggerLambdaHandler {
  const handler = middy<unknown, BatchResponse | QueuedResult>()
    .use(injectLambdaContext(options.logger))
    .use(logMetrics(options.metrics))
    .handler(core);
  return handler as unknown as TriggerLambdaHandler;
}

/** Bridge mode: anything but the bridge's invocation is a function error that says what to deploy. */
export function createTriggerLambdaHandler<T>(
  definition: ChannelHandlerDefinition<T>,
  options: TriggerHandlerOptions,
): TriggerLambdaHandler {
  const bridge = bridgeInvocationCore(definition, options);
  return withPowertools(options, async (event, lambda) => {
    if (isTriggerInvocation(event)) return bridge(event, lambda);
    const source = (event as { eventSource?: unknown } | null)?.eventSource;
    throw new InvocationEventError([
      source === "aws:mq"
        ? `an Amazon MQ event reached "${definition.name}", deployed for bridge mode: deploy it with queuedLambdaTrigger (functions/aws/trigger/queued.ts)`
        : "expected the bridge's invocation (format amqp-mesh/trigger-invocation/1)",
    ]);
  });
}
