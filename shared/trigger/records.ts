/**
 * The records a trigger function receives, whatever carried them: the bridge's invocation
 * event (JSON, sent by Lambda Invoke or HTTP), or a broker batch an adapter translated. A
 * record holds the message as bytes plus its properties; `decodeRecord` turns it into the
 * handler's ChannelMessage (JSON payload, CloudEvent attributes, trace context).
 */
import { type Context, ROOT_CONTEXT } from "@opentelemetry/api";
import * as z from "zod/mini";
import {
  type ApplicationPropertyValue,
  extractTraceContext,
  fromAmqpMessage,
  type JsonValue,
  mediaEssence,
  type ReceivedMessage,
} from "../amqp/index.ts";
import type { ChannelMessage, CloudEventAttributes } from "./definition.ts";
import { InvocationEventError, RecordInvalidError } from "./errors.ts";
import { recordIdempotencyKey } from "./idempotency-key.ts";

/** The invocation event's marker and version: a function refuses what it does not know. */
export const INVOCATION_FORMAT = "amqp-mesh/trigger-invocation/1";

const propertyValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const triggerRecordSchema = z.object({
  id: z.string().check(z.minLength(1)),
  messageId: z.string().check(z.minLength(1)),
  /** The message's AMQP user-id, verified by routers with a vhost policy. */
  producer: z.optional(z.string().check(z.minLength(1))),
  attempt: z.int().check(z.positive()),
  body: z.string(),
  bodyEncoding: z.enum(["utf8", "base64"]),
  contentType: z.optional(z.string()),
  subject: z.optional(z.string()),
  correlationId: z.optional(z.string()),
  properties: z.record(z.string(), propertyValue),
});
export type TriggerRecord = z.infer<typeof triggerRecordSchema>;

export const triggerInvocationSchema = z.object({
  format: z.literal(INVOCATION_FORMAT),
  channel: z.string().check(z.minLength(1)),
  records: z.array(triggerRecordSchema).check(z.minLength(1)),
});
/** What the bridge sends a function: one batch of one channel. */
export type TriggerInvocation = z.infer<typeof triggerInvocationSchema>;

export function isTriggerInvocation(event: unknown): boolean {
  return (
    typeof event === "object" &&
    event !== null &&
    (event as { format?: unknown }).format === INVOCATION_FORMAT
  );
}

export function parseTriggerInvocation(event: unknown): TriggerInvocation {
  const result = triggerInvocationSchema.safeParse(event);
  if (!result.success)
    throw new InvocationEventError(
      result.error.issues.map((i) => `${i.path.join(".") || "(event)"}: ${i.message}`),
    );
  return result.data;
}

type PropertyValue = z.infer<typeof propertyValue>;

/** Application property values as JSON: dates as ISO text, bytes as base64. */
function jsonProperty(value: ApplicationPropertyValue): PropertyValue {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  return value;
}

/** A received message as a record (the bridge's side); `id` names it within its batch. */
export function recordOfMessage(
  message: ReceivedMessage,
  id: string,
  attempt: number,
  producer?: string,
): TriggerRecord {
  const properties: Record<string, PropertyValue> = {};
  for (const [key, value] of Object.entries(message.applicationProperties))
    properties[key] = jsonProperty(value);
  const { body } = message;
  let text: string;
  let encoding: "utf8" | "base64" = "utf8";
  if (body instanceof Uint8Array) {
    text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("base64");
    encoding = "base64";
  } else if (typeof body === "string" && message.contentType?.toLowerCase().startsWith("text/")) {
    text = body;
  } else {
    text = JSON.stringify(body);
  }
  return {
    id,
    messageId: message.messageId ?? id,
    ...(producer === undefined || producer === "" ? {} : { producer }),
    attempt,
    body: text,
    bodyEncoding: encoding,
    ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
    ...(message.subject === undefined ? {} : { subject: message.subject }),
    ...(message.correlationId === undefined ? {} : { correlationId: message.correlationId }),
    properties,
  };
}

const CE_PREFIXES = ["cloudEvents_", "cloudEvents:"];
const TRACE_KEYS = new Set(["traceparent", "tracestate"]);
const CE_CONTEXT = new Set([
  "id",
  "source",
  "type",
  "specversion",
  "subject",
  "time",
  "datacontenttype",
  "dataschema",
]);

function baseType(contentType: string | undefined): string | undefined {
  return mediaEssence(contentType);
}

function isJsonType(base: string | undefined): boolean {
  return base === "application/json" || (base?.endsWith("+json") ?? false);
}

function bytesOf(record: TriggerRecord): Buffer {
  return record.bodyEncoding === "base64"
    ? Buffer.from(record.body, "base64")
    : Buffer.from(record.body, "utf8");
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The payload of a plain (non-CloudEvent) message: JSON where it is JSON. */
function plainPayload(bytes: Buffer, base: string | undefined): unknown {
  if (isJsonType(base)) {
    try {
      return JSON.parse(bytes.toString("utf8"));
    } catch {
      throw new RecordInvalidError(`body is not valid JSON although its content type is ${base}`);
    }
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return new Uint8Array(bytes);
  }
  if (base?.startsWith("text/")) return text;
  // Brokers that drop the content type (Amazon MQ's JMS mapping): JSON if it parses.
  if (base === undefined) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return new Uint8Array(bytes);
}

function attributesOf(event: Record<string, unknown>): CloudEventAttributes {
  const extensions: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(event)) {
    if (CE_CONTEXT.has(key) || key === "data") continue;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      extensions[key] = value;
    else if (value instanceof Uint8Array) extensions[key] = Buffer.from(value).toString("base64");
  }
  const optional = (key: string): Record<string, string> =>
    typeof event[key] === "string" ? { [key]: event[key] as string } : {};
  return {
    id: String(event.id),
    source: String(event.source),
    type: String(event.type),
    specversion: String(event.specversion),
    ...optional("subject"),
    ...optional("time"),
    ...optional("datacontenttype"),
    ...optional("dataschema"),
    extensions,
  };
}

/**
 * The handler's view of a record. Throws RecordInvalidError when the content cannot be read
 * (bad JSON, a malformed CloudEvent): such a record fails for good.
 */
export function decodeRecord(record: TriggerRecord, channel: string): ChannelMessage<unknown> {
  const bytes = bytesOf(record);
  const base = baseType(record.contentType);
  const properties: Record<string, ApplicationPropertyValue> = {};
  let isBinaryEvent = false;
  for (const [key, value] of Object.entries(record.properties)) {
    if (CE_PREFIXES.some((p) => key.startsWith(p))) isBinaryEvent = true;
    else if (!TRACE_KEYS.has(key)) properties[key] = value;
  }
  let payload: unknown;
  let cloudEvent: CloudEventAttributes | undefined;
  if (base === "application/cloudevents+json" || isBinaryEvent) {
    let event: Record<string, unknown>;
    try {
      event = fromAmqpMessage({
        contentType: record.contentType,
        body: new Uint8Array(bytes),
        applicationProperties: record.properties,
      }) as Record<string, unknown>;
    } catch (error) {
      throw new RecordInvalidError(error instanceof Error ? error.message : String(error));
    }
    cloudEvent = attributesOf(event);
    payload =
      event.data instanceof Uint8Array
        ? plainPayload(Buffer.from(event.data), undefined)
        : event.data;
    if (payload === undefined) payload = null;
  } else {
    payload = plainPayload(bytes, base);
  }
  const traceparent = stringProperty(record.properties.traceparent);
  const tracestate = stringProperty(record.properties.tracestate);
  const context: Context = extractTraceContext(record.properties, ROOT_CONTEXT);
  return {
    id: record.id,
    messageId: record.messageId,
    producer: record.producer,
    idempotencyKey: recordIdempotencyKey(channel, record),
    channel,
    payload: payload as JsonValue,
    attempt: record.attempt,
    contentType: record.contentType,
    subject: record.subject,
    correlationId: record.correlationId,
    properties,
    cloudEvent,
    trace: { traceparent, tracestate, context },
  };
}

function stringProperty(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
