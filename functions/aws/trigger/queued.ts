/**
 * A team's Lambda entry for queued mode — an Amazon MQ (ActiveMQ) event source mapping on the
 * queue the router feeds — in one line:
 *
 *   export const handler = await queuedLambdaTrigger(invoiceSending);
 *
 * Neither ActiveMQ nor Lambda take a partial batch response: a failed message fails the batch
 * and the broker redelivers all of it. With IDEMPOTENCY_REDIS_URL each message id runs once
 * across redeliveries (Powertools idempotency over Redis, `functions/idempotency/`);
 * its Redis connection is made during init. The bridge's invocations are taken too.
 */
import type { ChannelHandlerDefinition } from "../../../shared/trigger/index.ts";
import { idempotencyGuardFromEnv } from "../../idempotency/index.ts";
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
  const idempotency = await idempotencyGuardFromEnv(env, definition.name, "Amazon MQ", (m) =>
    options.logger.warn(m),
  );
  return createQueuedTriggerLambdaHandler(definition, { ...options, idempotency });
}
