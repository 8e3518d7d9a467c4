/**
 * Config-sync on AWS Lambda: an EventBridge rule sends the registry bucket's "Object Created"
 * events, and an EventBridge schedule its drift ticks; Powertools parser checks each event
 * against its schema (S3 via EventBridge, or a Scheduled Event) before the core sees it. The
 * schemas are zod/mini (a Standard Schema, which the parser takes): Powertools' own event
 * schemas are written in classic zod, which alone would add ~450 KB to the bundle. They hold
 * the fields of AWS's "Amazon S3 events via EventBridge" and "Scheduled Event" documents that
 * this function reads or that say what the event is; other fields pass through.
 * middy composes Powertools logger and the parser around one call of the core; the result is
 * the run's summary. Translation only: event → SyncTrigger.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import * as z from "zod/mini";
import type { SyncLogger, SyncSummary, SyncTrigger } from "../../../shared/sync/index.ts";

/** Powertools' Logger as the core's SyncLogger: each line a JSON object with the fields. */
export function syncLoggerOf(logger: Logger): SyncLogger {
  const fieldsOf = (fields: Record<string, unknown> | undefined) =>
    fields === undefined ? [] : ([fields] as [Record<string, unknown>]);
  return {
    info: (message, fields) => logger.info(message, ...fieldsOf(fields)),
    warn: (message, fields) => logger.warn(message, ...fieldsOf(fields)),
    error: (message, fields) => logger.error(message, ...fieldsOf(fields)),
  };
}

const nonEmpty = () => z.string().check(z.minLength(1));

/** The envelope every EventBridge event has. */
const eventBridgeFields = {
  version: z.string(),
  id: nonEmpty(),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
};

/** An EventBridge schedule's event (`detail-type` "Scheduled Event", from aws.events or aws.scheduler). */
export const ScheduledEventSchema = z.looseObject({
  ...eventBridgeFields,
  "detail-type": z.literal("Scheduled Event"),
  source: z.enum(["aws.events", "aws.scheduler"]),
});

/** An S3 "Object Created" event delivered by EventBridge (the bucket's EventBridge notifications). */
export const ObjectCreatedEventSchema = z.looseObject({
  ...eventBridgeFields,
  "detail-type": z.literal("Object Created"),
  source: z.literal("aws.s3"),
  detail: z.looseObject({
    bucket: z.looseObject({ name: nonEmpty() }),
    object: z.looseObject({
      key: nonEmpty(),
      size: z.optional(z.number()),
      etag: z.optional(z.string()),
      "version-id": z.optional(z.string()),
      sequencer: z.optional(z.string()),
    }),
  }),
});

export const SyncEventSchema = z.union([ObjectCreatedEventSchema, ScheduledEventSchema]);
export type SyncEvent = z.infer<typeof SyncEventSchema>;

export function toSyncTrigger(event: SyncEvent): SyncTrigger {
  if (event["detail-type"] === "Scheduled Event") return { kind: "schedule", eventId: event.id };
  const { object } = (event as z.infer<typeof ObjectCreatedEventSchema>).detail;
  return {
    kind: "object-written",
    key: object.key,
    etag: object.etag,
    sequencer: object.sequencer,
    versionId: object["version-id"],
    eventId: event.id,
  };
}

export interface SyncHandlerOptions {
  logger: Logger;
  /** The core: one sync run for the trigger. */
  sync: (trigger: SyncTrigger) => Promise<SyncSummary>;
}

export type SyncLambdaHandler = (event: unknown, context: Context) => Promise<SyncSummary>;

export function createSyncHandler(options: SyncHandlerOptions): SyncLambdaHandler {
  const handler = middy()
    .use(injectLambdaContext(options.logger))
    .use(parser({ schema: SyncEventSchema }))
    .handler(async (event: SyncEvent) => {
      const summary = await options.sync(toSyncTrigger(event));
      options.logger.info("config-sync result", { summary });
      return summary;
    });
  return handler as unknown as SyncLambdaHandler;
}
