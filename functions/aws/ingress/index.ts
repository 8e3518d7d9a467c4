/**
 * Lambda entry (`index.handler` of the bundle): everything expensive is built here, once per
 * execution environment, and reused by warm invocations — the AMQP client connects during
 * init. Reads the registry snapshot and validators `npm run bundle` put beside it.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { assembleIngress, ingressSettingsFromEnv } from "../../../shared/ingress/index.ts";
import { loadDeploymentArtifacts } from "../../../shared/registry-snapshot/index.ts";
import { createIngressHandler } from "./handler.ts";

const logger = new Logger({ serviceName: "amqp-mesh-ingress" });
const metrics = new Metrics({ namespace: "amqp-mesh", serviceName: "ingress" });
const settings = ingressSettingsFromEnv(process.env);
const { snapshot, validators } = await loadDeploymentArtifacts(new URL(".", import.meta.url));
const { ingress, client } = assembleIngress(settings, snapshot, validators, (line) =>
  logger.info(line),
);
logger.appendKeys({ registry: snapshot.digest.slice(0, 12) });
client
  .connect()
  .catch((error: unknown) =>
    logger.warn("edge routers not reachable during init", { error: error as Error }),
  );

export const handler = createIngressHandler(ingress, {
  logger,
  metrics,
  ...(process.env.INGRESS_AUTHORIZER_CLAIM
    ? { authorizerClaim: process.env.INGRESS_AUTHORIZER_CLAIM }
    : {}),
});
