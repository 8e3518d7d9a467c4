/**
 * Lambda entry (`index.handler` of the bundle): settings, the S3 client and the pool of
 * management sessions are built once per execution environment and reused by warm
 * invocations. The bucket is SYNC_BUCKET; everything else as in shared/sync/function.ts.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { S3Client } from "@aws-sdk/client-s3";
import { ManagementPool } from "../../../shared/management/index.ts";
import {
  handleSyncTrigger,
  operationLogger,
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
const log = syncLoggerOf(logger);
const pool = new ManagementPool({
  timeoutMs: settings.timeoutMs,
  onOperation: operationLogger(log),
});

export const handler = createSyncHandler({
  logger,
  sync: (trigger) => handleSyncTrigger(trigger, { store, settings, pool, logger: log }),
});
