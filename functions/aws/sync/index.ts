/**
 * Lambda entry (`index.handler` of the bundle): settings, the S3 client and the pool of
 * management sessions are built once per execution environment and reused by warm
 * invocations. The bucket is SYNC_BUCKET; everything else as in shared/sync/function.ts.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { S3Client } from "@aws-sdk/client-s3";
import {
  handleSyncTrigger,
  loggingPool,
  SyncConfigError,
  syncSettingsFromEnv,
} from "../../../shared/sync/index.ts";
import { withMeshPassword } from "../mesh-password.ts";
import { createSyncHandler, syncLoggerOf } from "./handler.ts";
import { S3ObjectStore } from "./s3-store.ts";

const logger = new Logger({ serviceName: "amqp-mesh-config-sync" });
// The management password from Secrets Manager when MESH_SASL_PASSWORD_SECRET names it (in AWS).
const settings = syncSettingsFromEnv(await withMeshPassword(process.env));
const bucket = process.env.SYNC_BUCKET;
if (bucket === undefined || bucket === "")
  throw new SyncConfigError(["SYNC_BUCKET must name the registry bucket"]);
const store = new S3ObjectStore(new S3Client({}), bucket);
// Each run logs its management operations to the logger it is given.
const pool = loggingPool({ timeoutMs: settings.timeoutMs });

export const handler = createSyncHandler({
  logger,
  sync: (trigger) =>
    handleSyncTrigger(trigger, { store, settings, pool, logger: syncLoggerOf(logger) }),
});
