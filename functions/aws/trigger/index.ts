/**
 * A team's Lambda entry in one line, from its definition — bridge mode (invoked by
 * `amqp-mesh bridge`):
 *
 *   export const handler = await lambdaTrigger(orderInvoicing);
 *
 * Queued mode (an Amazon MQ event source mapping) is `queuedLambdaTrigger` in `queued.ts`,
 * which adds the idempotency guard: a bridge-mode bundle carries none of it.
 *
 * Everything expensive is built during init, once per execution environment: settings from
 * the environment, the registry snapshot and validators `npm run bundle` put beside the
 * bundle, and the shared AMQP publisher (connects on the first publish).
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import {
  deployedRegistryView,
  loadDeploymentArtifacts,
} from "../../../shared/registry-snapshot/index.ts";
import { assembleTrigger, type ChannelHandlerDefinition } from "../../../shared/trigger/index.ts";
import { awsSnapshotStore } from "../live-registry.ts";
import { withMeshPassword } from "../mesh-password.ts";
import {
  createTriggerLambdaHandler,
  type TriggerHandlerOptions,
  type TriggerLambdaHandler,
} from "./handler.ts";

export {
  createTriggerLambdaHandler,
  type TriggerHandlerOptions,
  type TriggerLambdaHandler,
} from "./handler.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** What both modes build during init: Powertools logger and metrics, catalog, publisher. */
export async function deployedTriggerOptions(
  definition: Pick<ChannelHandlerDefinition<unknown>, "channel" | "name">,
  bundleDir: URL,
  given: Env,
): Promise<TriggerHandlerOptions> {
  // The mesh password from Secrets Manager when MESH_SASL_PASSWORD_SECRET names it (in AWS).
  const env = await withMeshPassword(given);
  const logger = new Logger({ serviceName: `amqp-mesh-trigger-${definition.name}` });
  const metrics = new Metrics({
    namespace: "amqp-mesh",
    serviceName: `trigger-${definition.name}`,
  });
  const { snapshot, validators } = await loadDeploymentArtifacts(bundleDir);
  // With REGISTRY_BUCKET, the registry config-sync publishes, live; the bundled one otherwise.
  const { view, live } = deployedRegistryView({
    bundled: { snapshot, validators },
    openStore: awsSnapshotStore(env),
    env,
    log: (line) => logger.warn(line),
  });
  const { catalog, publish } = assembleTrigger(
    definition,
    snapshot,
    validators,
    env,
    (line) => logger.info(line),
    view,
  );
  logger.appendKeys({ registry: snapshot.digest.slice(0, 12), channel: definition.channel });
  live?.onChange(({ to }) => logger.appendKeys({ registry: to.slice(0, 12) }));
  return { catalog, publish, logger, metrics };
}

/** Bridge mode: the bridge's invocations, answered with `{ batchItemFailures }`. */
export async function lambdaTrigger<T>(
  definition: ChannelHandlerDefinition<T>,
  bundleDir: URL = new URL(".", import.meta.url),
  env: Env = process.env,
): Promise<TriggerLambdaHandler> {
  const options = await deployedTriggerOptions(definition, bundleDir, env);
  return createTriggerLambdaHandler(definition, options);
}
