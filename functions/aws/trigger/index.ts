/**
 * A team's Lambda entry in one line, from its definition:
 *
 *   export const handler = await lambdaTrigger(orderInvoicing);
 *
 * Everything expensive is built during init, once per execution environment: settings from
 * the environment, the registry snapshot and validators `npm run bundle` put beside the
 * bundle, the shared AMQP client (connects on the first publish) and, with
 * IDEMPOTENCY_REDIS_URL, the Redis connection of the idempotency store.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { loadDeploymentArtifacts } from "../../../shared/registry-snapshot/index.ts";
import { assembleTrigger, type ChannelHandlerDefinition } from "../../../shared/trigger/index.ts";
import { connectRedisIdempotencyGuard } from "../../trigger-idempotency.ts";
import { createTriggerLambdaHandler, type TriggerLambdaHandler } from "./handler.ts";

export {
  createTriggerLambdaHandler,
  type TriggerHandlerOptions,
  type TriggerLambdaHandler,
} from "./handler.ts";

export async function lambdaTrigger<T>(
  definition: ChannelHandlerDefinition<T>,
  bundleDir: URL = new URL(".", import.meta.url),
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<TriggerLambdaHandler> {
  const logger = new Logger({ serviceName: `amqp-mesh-trigger-${definition.name}` });
  const metrics = new Metrics({
    namespace: "amqp-mesh",
    serviceName: `trigger-${definition.name}`,
  });
  const { snapshot, validators } = await loadDeploymentArtifacts(bundleDir);
  const { catalog, publish } = assembleTrigger(definition, snapshot, validators, env, (line) =>
    logger.info(line),
  );
  logger.appendKeys({ registry: snapshot.digest.slice(0, 12), channel: definition.channel });
  const redisUrl = env.IDEMPOTENCY_REDIS_URL;
  const idempotency =
    redisUrl === undefined || redisUrl === ""
      ? undefined
      : (await connectRedisIdempotencyGuard(redisUrl, { keyPrefix: definition.name })).guard;
  if (idempotency === undefined)
    logger.warn(
      "IDEMPOTENCY_REDIS_URL is not set: Amazon MQ redeliveries run every message of a failed batch again",
    );
  return createTriggerLambdaHandler(definition, { catalog, publish, logger, metrics, idempotency });
}
