/**
 * The config-sync Functions app (v4; `main` of its bundle's package.json): its own app, apart
 * from the ingress, with the management principal's secret and the registry container.
 * Built once per worker process: settings, the container client, the management sessions.
 * Blobs: SYNC_BLOB_CONTAINER in the account SYNC_BLOB__blobServiceUri names, read with the
 * app's managed identity (or SYNC_BLOB_CONNECTION_STRING: Azurite, a SAS); the drift schedule is the app
 * setting SYNC_SCHEDULE (NCRONTAB, default every 5 minutes). Without a Functions host
 * (tests) app.eventGrid/app.timer register nothing: tests call the exported handlers.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { app } from "@azure/functions";
import { ManagementPool } from "../../shared/management/index.ts";
import {
  handleSyncTrigger,
  operationLogger,
  SyncConfigError,
  type SyncLogger,
  syncSettingsFromEnv,
} from "../../shared/sync/index.ts";
import { containerFromSettings } from "./blob-identity.ts";
import { createDriftTimerHandler, createRegistryEventHandler } from "./sync.ts";
import { BlobObjectStore } from "./sync-store.ts";

const settings = syncSettingsFromEnv(process.env);
const containerName = process.env.SYNC_BLOB_CONTAINER;
if (!containerName)
  throw new SyncConfigError(["SYNC_BLOB_CONTAINER must name the registry container"]);
// The app's identity as deployed (SYNC_BLOB__blobServiceUri …), a connection string locally.
const store = new BlobObjectStore(containerFromSettings(process.env, "SYNC_BLOB", containerName));
// The pool is shared by concurrent invocations, so its operation hook cannot hold one
// invocation's logger: each invocation runs in its own async context carrying its logger,
// and an operation is logged into the invocation whose call made it.
const invocationLogger = new AsyncLocalStorage<SyncLogger>();
/** Management sessions kept open across invocations (exported for tests to close). */
export const pool = new ManagementPool({
  timeoutMs: settings.timeoutMs,
  onOperation: (event) => {
    const logger = invocationLogger.getStore();
    if (logger !== undefined) operationLogger(logger)(event);
  },
});
const core = (trigger: Parameters<typeof handleSyncTrigger>[0], logger: SyncLogger) =>
  invocationLogger.run(logger, () => handleSyncTrigger(trigger, { store, settings, pool, logger }));

export const registryEventHandler = createRegistryEventHandler(core);
export const driftTimerHandler = createDriftTimerHandler(core);

app.eventGrid("registrySync", { handler: registryEventHandler });
app.timer("registryDrift", {
  schedule: process.env.SYNC_SCHEDULE ?? "0 */5 * * * *",
  handler: driftTimerHandler,
});
