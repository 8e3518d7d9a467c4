/**
 * A team's Lambda entry for queued mode — an Amazon MQ (ActiveMQ) event source mapping on the
 * queue the router feeds — in one line:
 *
 *   export const handler = await queuedLambdaTrigger(invoiceSending);
 *
 * Neither ActiveMQ nor Lambda take a partial batch response: a failed message fails the batch
 * and the broker redelivers all of it. With IDEMPOTENCY_REDIS_URL each message id runs once
 * across redeliveries (Powertools idempotency over Redis, `functions/trigger-idempotency.ts`);
 * its Redis connection is made during init. The bridge's invocations are taken too.
 */
import type { ChannelHandlerDefinition } from "../../../shared/trigger/index.ts";
import { connectRedisIdempotencyGuard } from "../../trigger-idempotency.ts";
import type { TriggerLambdaHandler } from "./handler.ts";
import { deployedTriggerOptions } from "./index.ts";
import { createQueuedTriggerLambdaHandler } from "./queued-handler.ts";

export {
  createQueuedTriggerLambdaHandler,
  type QueuedTriggerHandlerOptions,
} from "./queued-handler.ts";

export async function queuedLambdaTrigger<T>(
  definition: ChannelHandlerDefinition<T>,
  bundleDir: URL = new URL(".", import.meta.url),
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<TriggerLambdaHandler> {
  const options = await deployedTriggerOptions(definition, bundleDir, env);
  const redisUrl = env.IDEMPOTENCY_REDIS_URL;
  const idempotency =
    redisUrl === undefined || redisUrl === ""
      ? undefined
      : (await connectRedisIdempotencyGuard(redisUrl, { keyPrefix: definition.name })).guard;
  if (idempotency === undefined)
    options.logger.warn(
      "IDEMPOTENCY_REDIS_URL is not set: Amazon MQ redeliveries run every message of a failed batch again",
    );
  return createQueuedTriggerLambdaHandler(definition, { ...options, idempotency });
}
