/**
 * Config-sync of the local platform, as each cloud runs it: the AWS function's handler
 * (middy, Powertools parser on the EventBridge event, S3 store) and the Azure function's
 * handlers (Event Grid BlobCreated, the drift timer; Blob store), each with the settings the
 * deployed function reads from its environment (SYNC_ROUTER_URLS = its cloud's routers, the
 * management login), each syncing its own cloud's routers. The routers run on this machine,
 * not where their config says: `prepareConfig` gives config-sync the local paths and loopback
 * listeners the routers were started with, so it never touches what only a restart changes.
 * Every management write is collected per router for `up` to print.
 */

import { Console } from "node:console";
import { randomUUID } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { Logger } from "@aws-lambda-powertools/logger";
import { type EventGridEvent, InvocationContext, type Timer } from "@azure/functions";
import type { Context } from "aws-lambda";
import { createSyncHandler, syncLoggerOf } from "../../functions/aws/sync/handler.ts";
import {
  createDriftTimerHandler,
  createRegistryEventHandler,
} from "../../functions/azure/sync/handler.ts";
import { type ManagementOperationEvent, ManagementPool } from "../../shared/management/index.ts";
import type { RouterConfig } from "../../shared/router-config/index.ts";
import {
  handleSyncTrigger,
  operationLogger,
  type SyncSummary,
  syncSettingsFromEnv,
} from "../../shared/sync/index.ts";
import { REGISTRY_SNAPSHOT_KEY } from "./function-registries.ts";
import type { Cloud, RegistryStores } from "./registry-stores.ts";

/** One management write config-sync sent (reads are not listed). */
export interface SyncOperation {
  router: string;
  operation: string;
  entityType: string | undefined;
  name: string | undefined;
  ok: boolean;
}

export interface SyncRun {
  cloud: Cloud;
  summary: SyncSummary;
  operations: SyncOperation[];
  ms: number;
}

export interface CloudSync {
  cloud: Cloud;
  routerIds: string[];
  /** The cloud's change event for a written object, through the function's handler. */
  deliver(event: unknown): Promise<SyncRun>;
  /** The drift schedule's tick (EventBridge Scheduled Event / the Functions timer). */
  tick(): Promise<SyncRun>;
  close(): Promise<void>;
}

export interface CloudSyncOptions {
  cloud: Cloud;
  routers: ReadonlyArray<{ id: string; url: string }>;
  login: { username: string; password: string };
  stores: RegistryStores;
  prepareConfig: (config: RouterConfig) => RouterConfig;
  /** Where the function's own log lines go (a file in the out folder). */
  log: WriteStream;
}

const WRITES = new Set(["CREATE", "UPDATE", "DELETE"]);

export function lambdaContext(functionName: string, timeoutMs = 60_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:000000000000:function:${functionName}`,
    memoryLimitInMB: "512",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** Powertools writes to its own Console on stdout: here, to the function's log file. */
export function logToFile<T extends object>(tool: T, stream: WriteStream): T {
  (tool as { console: Console }).console = new Console({ stdout: stream, stderr: stream });
  return tool;
}

export function openFunctionLog(file: string): WriteStream {
  return createWriteStream(file, { flags: "a", mode: 0o600 });
}

export function startCloudSync(options: CloudSyncOptions): CloudSync {
  const env = {
    SYNC_ROUTER_URLS: options.routers.map((r) => r.url).join(","),
    MESH_SASL_USERNAME: options.login.username,
    MESH_SASL_PASSWORD: options.login.password,
    SYNC_MANAGEMENT_PRINCIPALS: options.login.username,
    SYNC_TIMEOUT_MS: "5000",
    // Where the functions read the registry from (function-registries.ts).
    REGISTRY_SNAPSHOT_KEY,
  };
  const settings = syncSettingsFromEnv(env);
  const idOf = new Map(options.routers.map((r) => [r.url, r.id]));
  let collected: SyncOperation[] = [];
  const collect = (event: ManagementOperationEvent) => {
    if (!WRITES.has(event.operation)) return;
    collected.push({
      router: idOf.get(event.router ?? "") ?? event.router ?? "?",
      operation: event.operation,
      // org.apache.qpid.dispatch.router.config.address, io.skupper.router.vhost → address, vhost
      entityType: event.entityType?.split(".").at(-1),
      name: event.name,
      ok: event.error === undefined,
    });
  };
  const timed = async (call: () => Promise<SyncSummary>): Promise<SyncRun> => {
    collected = [];
    const started = performance.now();
    const summary = await call();
    const operations = collected;
    collected = [];
    return { cloud: options.cloud, summary, operations, ms: performance.now() - started };
  };
  // One run at a time per cloud, as events reach one function instance in turn here.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = (call: () => Promise<SyncRun>): Promise<SyncRun> => {
    const run = queue.then(call, call);
    queue = run.catch(() => undefined);
    return run;
  };
  const routerIds = options.routers.map((r) => r.id);

  if (options.cloud === "aws") {
    const logger = logToFile(
      new Logger({ serviceName: "amqp-mesh-config-sync", logLevel: "INFO" }),
      options.log,
    );
    const log = syncLoggerOf(logger);
    const toLog = operationLogger(log);
    const pool = new ManagementPool({
      timeoutMs: settings.timeoutMs,
      onOperation: (event) => {
        toLog(event);
        collect(event);
      },
    });
    const handler = createSyncHandler({
      logger,
      sync: (trigger) =>
        handleSyncTrigger(trigger, {
          store: options.stores.awsStore,
          settings,
          pool,
          logger: log,
          prepareConfig: options.prepareConfig,
        }),
    });
    return {
      cloud: "aws",
      routerIds,
      deliver: (event) =>
        serial(() => timed(() => handler(event, lambdaContext("amqp-mesh-config-sync")))),
      tick: () =>
        serial(() =>
          timed(() =>
            handler(
              {
                version: "0",
                id: randomUUID(),
                "detail-type": "Scheduled Event",
                source: "aws.scheduler",
                account: "000000000000",
                time: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
                region: "eu-west-1",
                resources: [],
                detail: {},
              },
              lambdaContext("amqp-mesh-config-sync"),
            ),
          ),
        ),
      close: () => pool.close(),
    };
  }

  const context = (functionName: string) =>
    new InvocationContext({
      invocationId: randomUUID(),
      functionName,
      logHandler: (level, ...args) =>
        options.log.write(
          `${new Date().toISOString()} ${level} ${functionName} ${args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ")}\n`,
        ),
    });
  const pool = new ManagementPool({ timeoutMs: settings.timeoutMs, onOperation: collect });
  const core = (
    trigger: Parameters<typeof handleSyncTrigger>[0],
    logger: Parameters<typeof operationLogger>[0],
  ) =>
    handleSyncTrigger(trigger, {
      store: options.stores.azureStore,
      settings,
      pool,
      logger,
      prepareConfig: options.prepareConfig,
    });
  const onEvent = createRegistryEventHandler(core);
  const onTimer = createDriftTimerHandler(core);
  return {
    cloud: "azure",
    routerIds,
    deliver: (event) =>
      serial(() => timed(() => onEvent(event as EventGridEvent, context("registrySync")))),
    tick: () =>
      serial(() =>
        timed(() =>
          onTimer(
            { isPastDue: false, scheduleStatus: { last: new Date().toISOString() } } as Timer,
            context("registryDrift"),
          ),
        ),
      ),
    close: () => pool.close(),
  };
}
