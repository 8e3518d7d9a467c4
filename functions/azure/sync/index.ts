/**
 * The config-sync Functions app (v4; `main` of its bundle's package.json): its own app, apart
 * from the ingress, with the management principal's secret and the registry container.
 * Built once per worker process: settings, the container client, the management sessions.
 * Blobs: SYNC_BLOB_CONTAINER in the account SYNC_BLOB__blobServiceUri names, read with the
 * app's managed identity (or SYNC_BLOB_CONNECTION_STRING: Azurite, a SAS); the drift schedule is the app
 * setting SYNC_SCHEDULE (NCRONTAB, default every 5 minutes). Without a Functions host
 * (tests) app.eventGrid/app.timer register nothing: tests call the exported handlers.
 */
import { app } from "@azure/functions";
import {
  handleSyncTrigger,
  loggingPool,
  SyncConfigError,
  type SyncLogger,
  syncSettingsFromEnv,
} from "../../../shared/sync/index.ts";
import { containerFromSettings } from "../blob-identity.ts";
import { BlobObjectStore } from "./blob-store.ts";
import { createDriftTimerHandler, createRegistryEventHandler } from "./handler.ts";

const settings = syncSettingsFromEnv(process.env);
const containerName = process.env.SYNC_BLOB_CONTAINER;
if (!containerName)
  throw new SyncConfigError(["SYNC_BLOB_CONTAINER must name the registry container"]);
// The app's identity as deployed (SYNC_BLOB__blobServiceUri …), a connection string locally.
const store = new BlobObjectStore(containerFromSettings(process.env, "SYNC_BLOB", containerName));
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
