/**
 * Lambda entry (`index.handler` of the bundle): everything expensive is built here, once per
 * execution environment, and reused by warm invocations — the AMQP client connects during
 * init. Reads the registry snapshot and validators `npm run bundle` put beside it, and with
 * REGISTRY_BUCKET the snapshot config-sync publishes, live (shared/registry-snapshot, "Live
 * registry"): each request is checked against the release current when it came in.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { assembleIngress, ingressSettingsFromEnv } from "../../../shared/ingress/index.ts";
import {
  deployedRegistryView,
  loadDeploymentArtifacts,
} from "../../../shared/registry-snapshot/index.ts";
import { awsSnapshotStore } from "../live-registry.ts";
import { withMeshPassword } from "../mesh-password.ts";
import { createIngressHandler } from "./handler.ts";

const logger = new Logger({ serviceName: "amqp-mesh-ingress" });
const metrics = new Metrics({ namespace: "amqp-mesh", serviceName: "ingress" });
// The mesh password from Secrets Manager when MESH_SASL_PASSWORD_SECRET names it (in AWS).
const env = await withMeshPassword(process.env);
const settings = ingressSettingsFromEnv(env);
const { snapshot, validators } = await loadDeploymentArtifacts(new URL(".", import.meta.url));
const { view, live } = deployedRegistryView({
  bundled: { snapshot, validators },
  openStore: awsSnapshotStore(env),
  env,
  log: (line) => logger.warn(line),
});
const { ingress, client } = assembleIngress(
  settings,
  snapshot,
  validators,
  (line) => logger.info(line),
  view,
);
logger.appendKeys({ registry: snapshot.digest.slice(0, 12) });
live?.onChange(({ to }) => logger.appendKeys({ registry: to.slice(0, 12) }));
/** The registry this execution environment enforces (tests read its digest and refresh it). */
export const registry = live;
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
