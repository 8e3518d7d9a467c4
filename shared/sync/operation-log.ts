/**
 * One log line per management operation, into the log of the run that made it. A pool of
 * management sessions outlives runs (warm functions) and serves concurrent ones (Azure), so
 * its hook cannot hold a run's logger: each run carries its logger in its async context
 * (runSync), and a pool made by `loggingPool` writes each operation there.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import {
  type ManagementOperationEvent,
  ManagementPool,
  type OpenOptions,
} from "../management/index.ts";
import type { SyncLogger } from "./report.ts";

/** A log sink for the management operations of a pool: one line each. */
export function operationLogger(logger: SyncLogger): (event: ManagementOperationEvent) => void {
  return (event) => {
    const fields = {
      router: event.router,
      operation: event.operation,
      entityType: event.entityType,
      name: event.name,
      statusCode: event.statusCode,
      durationMs: event.durationMs,
    };
    if (event.error === undefined) logger.info("management operation", fields);
    else logger.warn("management operation failed", { ...fields, error: event.error.message });
  };
}

const runLogger = new AsyncLocalStorage<SyncLogger>();

/** Runs `run` with `logger` as the log of the management operations it makes. */
export function withOperationLog<T>(logger: SyncLogger, run: () => Promise<T>): Promise<T> {
  return runLogger.run(logger, run);
}

/**
 * A pool whose operations are logged into the run that made them (withOperationLog);
 * `onOperation`, when given, sees every operation too (e.g. to count them).
 */
export function loggingPool(options: OpenOptions = {}): ManagementPool {
  const also = options.onOperation;
  return new ManagementPool({
    ...options,
    onOperation: (event) => {
      const logger = runLogger.getStore();
      if (logger !== undefined) operationLogger(logger)(event);
      also?.(event);
    },
  });
}
