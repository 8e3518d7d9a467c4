/**
 * Config-sync as Azure Functions v4 handlers: an Event Grid subscription on the registry
 * container delivers `Microsoft.Storage.BlobCreated`, and a timer runs the drift schedule.
 * Translation only: event → SyncTrigger; the summary is returned and logged through the
 * invocation context. The event type is compared as @azure/eventgrid's `isSystemEvent` does
 * (its whole check for an Event Grid schema event); importing it put 150 KB into the bundle.
 */

import type { EventGridEvent, InvocationContext, Timer } from "@azure/functions";
import type { SyncLogger, SyncSummary, SyncTrigger } from "../../../shared/sync/index.ts";

/** The invocation's own log methods as the core's SyncLogger (fields as a JSON object). */
export function syncLoggerOf(context: InvocationContext): SyncLogger {
  return {
    info: (message, fields) => context.info(message, fields ?? {}),
    warn: (message, fields) => context.warn(message, fields ?? {}),
    error: (message, fields) => context.error(message, fields ?? {}),
  };
}

/** The blob's name from a BlobCreated subject: `/blobServices/default/containers/<c>/blobs/<name>`. */
export function blobNameOf(subject: string): string | undefined {
  const match = /^\/blobServices\/default\/containers\/[^/]+\/blobs\/(.+)$/.exec(subject);
  return match?.[1];
}

const BLOB_CREATED = "Microsoft.Storage.BlobCreated";

/** Undefined for events that are not a blob written (another type, or no blob subject). */
export function toSyncTrigger(event: EventGridEvent): SyncTrigger | undefined {
  if (event.eventType !== BLOB_CREATED || typeof event.subject !== "string") return undefined;
  const key = blobNameOf(event.subject);
  if (key === undefined) return undefined;
  const data = (typeof event.data === "object" && event.data !== null ? event.data : {}) as {
    eTag?: unknown;
    sequencer?: unknown;
  };
  return {
    kind: "object-written",
    key,
    etag: typeof data.eTag === "string" ? data.eTag : undefined,
    sequencer: typeof data.sequencer === "string" ? data.sequencer : undefined,
    eventId: event.id,
  };
}

export type SyncCore = (trigger: SyncTrigger, logger: SyncLogger) => Promise<SyncSummary>;

export function createRegistryEventHandler(core: SyncCore) {
  return async (event: EventGridEvent, context: InvocationContext): Promise<SyncSummary> => {
    const logger = syncLoggerOf(context);
    const trigger = toSyncTrigger(event);
    if (trigger === undefined) {
      const reason = `event type ${event.eventType} is not Microsoft.Storage.BlobCreated`;
      logger.warn("event ignored", { eventType: event.eventType, subject: event.subject, reason });
      return { trigger: "object-written", ignored: true, reason };
    }
    const summary = await core(trigger, logger);
    logger.info("config-sync result", { summary });
    return summary;
  };
}

export function createDriftTimerHandler(core: SyncCore) {
  return async (timer: Timer, context: InvocationContext): Promise<SyncSummary> => {
    const logger = syncLoggerOf(context);
    const summary = await core({ kind: "schedule", eventId: timer.scheduleStatus?.last }, logger);
    logger.info("config-sync result", { summary, isPastDue: timer.isPastDue });
    return summary;
  };
}
