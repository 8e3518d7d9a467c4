/**
 * The config-sync Functions app (v4; `main` of its bundle's package.json): its own app, apart
 * from the ingress, with the management principal's secret and the registry container.
 * Built once per worker process: settings, the container client, the management sessions.
 * Blobs: SYNC_BLOB_CONNECTION_STRING and SYNC_BLOB_CONTAINER; the drift schedule is the app
 * setting SYNC_SCHEDULE (NCRONTAB, default every 5 minutes). Without a Functions host
 * (tests) app.eventGrid/app.timer register nothing: tests call the exported handlers.
 */
import { app } from "@azure/functions";
import { BlobServiceClient } from "@azure/storage-blob";
import {
  handleSyncTrigger,
  loggingPool,
  SyncConfigError,
  type SyncLogger,
  syncSettingsFromEnv,
} from "../../shared/sync/index.ts";
import { createDriftTimerHandler, createRegistryEventHandler } from "./sync.ts";
import { BlobObjectStore } from "./sync-store.ts";

const settings = syncSettingsFromEnv(process.env);
const connection = process.env.SYNC_BLOB_CONNECTION_STRING;
const containerName = process.env.SYNC_BLOB_CONTAINER;
if (!connection || !containerName)
  throw new SyncConfigError([
    "SYNC_BLOB_CONNECTION_STRING and SYNC_BLOB_CONTAINER must name the registry container",
  ]);
const store = new BlobObjectStore(
  BlobServiceClient.fromConnectionString(connection).getContainerClient(containerName),
);
// Shared by concurrent invocations: each run logs its management operations to the
// invocation's own logger (shared/sync/operation-log.ts).
/** Management sessions kept open across invocations (exported for tests to close). */
export const pool = loggingPool({ timeoutMs: settings.timeoutMs });
const core = (trigger: Parameters<typeof handleSyncTrigger>[0], logger: SyncLogger) =>
  handleSyncTrigger(trigger, { store, settings, pool, logger });

export const registryEventHandler = createRegistryEventHandler(core);
export const driftTimerHandler = createDriftTimerHandler(core);

app.eventGrid("registrySync", { handler: registryEventHandler });
app.timer("registryDrift", {
  schedule: process.env.SYNC_SCHEDULE ?? "0 */5 * * * *",
  handler: driftTimerHandler,
});
