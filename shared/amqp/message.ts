/**
 * The message model and its AMQP encoding. JSON bodies travel as one data section with
 * content type application/json; bytes as a data section; decoding is the mirror image.
 */
import * as z from "zod/mini";
import { isJsonContentType, mediaEssence } from "./content-type.ts";
import { MessageInvalidError } from "./errors.ts";
import {
  amqpLong,
  dataSection,
  dataSectionBytes,
  encodeMessage,
  generateUuid,
  type Message,
} from "./rhea.ts";
import { englishMessages, issueLines } from "./schema-issues.ts";

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };
export type MessageBody = JsonValue | Uint8Array;

/** Values AMQP application properties can carry (simple types only). */
const applicationPropertyValue = () =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.date(),
    z.custom<Uint8Array>((v) => v instanceof Uint8Array, "expected bytes"),
  ]);
export type ApplicationPropertyValue = z.infer<ReturnType<typeof applicationPropertyValue>>;

/** Built on first use, like every schema of the client a function may never parse (cold start). */
export const meshMessageSchema = z.lazy(() =>
  z.object({
    body: z.custom<MessageBody>(
      (value) => value instanceof Uint8Array || value !== undefined,
      "body must be a JSON value or bytes",
    ),
    contentType: z.optional(z.string().check(z.minLength(1))),
    /** Idempotency key: the same id on every retry and resend; a UUID when absent. */
    messageId: z.optional(z.string().check(z.minLength(1))),
    correlationId: z.optional(z.string()),
    subject: z.optional(z.string()),
    replyTo: z.optional(z.string()),
    applicationProperties: z.optional(z.record(z.string(), applicationPropertyValue())),
    creationTime: z.optional(z.date()),
    /** AMQP header ttl: a uint, so at most 2^32 - 1 ms. */
    ttlMs: z.optional(
      z
        .number()
        .check(
          z.int(),
          z.positive(),
          z.maximum(4_294_967_295, "must fit an AMQP uint: at most 4294967295 ms"),
        ),
    ),
    /**
     * How a JSON body travels: `data` (default: one data section, application/json) or
     * `value` (an AMQP value: maps, lists, strings; what router management expects).
     */
    bodySection: z.optional(z.enum(["data", "value"])),
  }),
);
export type MeshMessage = z.infer<typeof meshMessageSchema>;

/** A message as a consumer receives it. */
export interface ReceivedMessage {
  body: MessageBody;
  contentType: string | undefined;
  messageId: string | undefined;
  correlationId: string | undefined;
  subject: string | undefined;
  replyTo: string | undefined;
  applicationProperties: Record<string, ApplicationPropertyValue>;
  creationTime: Date | undefined;
  ttlMs: number | undefined;
  /** How many earlier delivery attempts failed (AMQP header delivery-count). */
  deliveryCount: number;
}

const JSON_CONTENT_TYPE = "application/json";

export { isJsonContentType };

function isTextContentType(contentType: string | undefined): boolean {
  return mediaEssence(contentType)?.startsWith("text/") ?? false;
}

/**
 * A map keyed by what came from outside (application property names, JSON keys): without a
 * prototype, so `__proto__` is a key like any other instead of a silent no-op.
 */
export function keyedByInput<V>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}

export interface EncodedMessage {
  payload: Buffer;
  messageId: string;
}

/**
 * Validates and encodes a message once; retries and resends reuse the same bytes, so the
 * message id (idempotency key) never changes.
 */
export function encodeMeshMessage(
  message: MeshMessage,
  extraProperties?: Record<string, string>,
  durable = true,
): EncodedMessage {
  const lost = lostPropertyNames(message.applicationProperties, extraProperties);
  if (lost !== undefined) throw new MessageInvalidError(lost);
  const m = plainMessage(message) ?? parseMessage(message);
  const messageId = m.messageId ?? generateUuid();
  const raw: Partial<Message> & Record<string, unknown> = { message_id: messageId, durable };
  if (m.bodySection === "value" && !(m.body instanceof Uint8Array)) {
    raw.body = m.body;
    if (m.contentType !== undefined) raw.content_type = m.contentType;
  } else {
    const { bytes, contentType } = encodeBody(m.body, m.contentType);
    raw.body = dataSection(bytes);
    if (contentType !== undefined) raw.content_type = contentType;
  }
  if (m.correlationId !== undefined) raw.correlation_id = m.correlationId;
  if (m.subject !== undefined) raw.subject = m.subject;
  if (m.replyTo !== undefined) raw.reply_to = m.replyTo;
  if (m.creationTime !== undefined) raw.creation_time = m.creationTime;
  if (m.ttlMs !== undefined) raw.ttl = m.ttlMs;
  if (m.applicationProperties !== undefined || extraProperties !== undefined) {
    raw.application_properties = encodeApplicationProperties(
      m.applicationProperties ?? {},
      extraProperties ?? {},
    );
  }
  return { payload: encodeMessage(raw), messageId };
}

function parseMessage(message: MeshMessage): MeshMessage {
  const parsed = meshMessageSchema.safeParse(message, englishMessages);
  if (!parsed.success) {
    throw new MessageInvalidError(
      `invalid message: ${issueLines(parsed.error, "(root)").join("; ")}`,
    );
  }
  return parsed.data;
}

const optionalText = (v: unknown): boolean => v === undefined || typeof v === "string";
const optionalNonEmpty = (v: unknown): boolean =>
  v === undefined || (typeof v === "string" && v.length > 0);

/**
 * The message itself when it is of the common plain shape and every field would pass the
 * schema as it is (the hot path: no parse, no copy); undefined for anything else — other
 * keys (the schema strips them), application properties, or any doubt — which the schema
 * then parses and judges (test/unit/amqp/message-fast-path: the same result either way).
 */
export function plainMessage(message: MeshMessage): MeshMessage | undefined {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return undefined;
  if (Object.getPrototypeOf(message) !== Object.prototype) return undefined;
  for (const key in message)
    if (!Object.hasOwn(message, key) || !PLAIN_KEYS.has(key)) return undefined;
  const m = message as Record<string, unknown>;
  if (m.body === undefined) return undefined;
  if (!optionalNonEmpty(m.contentType) || !optionalNonEmpty(m.messageId)) return undefined;
  if (!optionalText(m.correlationId) || !optionalText(m.subject) || !optionalText(m.replyTo))
    return undefined;
  if (m.creationTime !== undefined) return undefined;
  if (m.ttlMs !== undefined) return undefined;
  if (m.bodySection !== undefined && m.bodySection !== "data" && m.bodySection !== "value")
    return undefined;
  return message;
}

const PLAIN_KEYS = new Set([
  "body",
  "contentType",
  "messageId",
  "correlationId",
  "subject",
  "replyTo",
  "bodySection",
]);

/**
 * `__proto__` as an application property name: zod's parse would leave it out without a word,
 * and rhea's decoder on the receiving side does the same, so it is refused, not lost.
 */
function lostPropertyNames(...maps: Array<object | undefined>): string | undefined {
  for (const map of maps)
    if (map !== undefined && map !== null && Object.hasOwn(map, "__proto__"))
      return "invalid message: applicationProperties.__proto__: a name AMQP peers in JavaScript drop; choose another";
  return undefined;
}

/** Integers travel as AMQP long (rhea would pick uint or int by value), the rest as is. */
function encodeApplicationProperties(
  properties: Record<string, ApplicationPropertyValue>,
  extra: Record<string, string>,
): Record<string, unknown> {
  const out = keyedByInput<unknown>();
  for (const source of [properties, extra])
    for (const [key, value] of Object.entries(source))
      out[key] = typeof value === "number" && Number.isSafeInteger(value) ? amqpLong(value) : value;
  return out;
}

function encodeBody(
  body: MessageBody,
  contentType: string | undefined,
): { bytes: Buffer; contentType: string | undefined } {
  if (body instanceof Uint8Array) {
    // No content type on a data section means opaque bytes (application/octet-stream).
    return { bytes: Buffer.from(body.buffer, body.byteOffset, body.byteLength), contentType };
  }
  if (typeof body === "string" && contentType !== undefined && !isJsonContentType(contentType)) {
    return { bytes: Buffer.from(body, "utf8"), contentType };
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch (error) {
    throw new MessageInvalidError(`message body is not JSON-serializable: ${String(error)}`);
  }
  if (text === undefined) throw new MessageInvalidError("message body is not a JSON value");
  return { bytes: Buffer.from(text, "utf8"), contentType: contentType ?? JSON_CONTENT_TYPE };
}

/** Decodes what rhea parsed into the client's model; a bad JSON body is a typed error. */
export function decodeMeshMessage(raw: Message): ReceivedMessage {
  const contentType = optionalString(raw.content_type);
  return {
    body: decodeBody(raw.body, contentType),
    contentType,
    messageId: idToString(raw.message_id),
    correlationId: idToString(raw.correlation_id),
    subject: optionalString(raw.subject),
    replyTo: optionalString(raw.reply_to),
    applicationProperties: decodeApplicationProperties(raw.application_properties),
    creationTime: raw.creation_time instanceof Date ? raw.creation_time : undefined,
    ttlMs: typeof raw.ttl === "number" ? raw.ttl : undefined,
    deliveryCount: typeof raw.delivery_count === "number" ? raw.delivery_count : 0,
  };
}

function decodeBody(body: unknown, contentType: string | undefined): MessageBody {
  const bytes = dataSectionBytes(body);
  if (bytes === undefined) return amqpValueToBody(body);
  if (isJsonContentType(contentType)) {
    try {
      return JSON.parse(bytes.toString("utf8")) as JsonValue;
    } catch {
      throw new MessageInvalidError(
        `message body is not valid JSON although content type is ${contentType}`,
      );
    }
  }
  if (isTextContentType(contentType)) return bytes.toString("utf8");
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** amqp-value bodies from other peers: keep JSON-like values and bytes, stringify the rest. */
function amqpValueToBody(value: unknown): MessageBody {
  if (value === undefined || value === null) return null;
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => toJson(amqpValueToBody(v)));
  if (typeof value === "object") {
    const out = keyedByInput<JsonValue>();
    for (const [k, v] of Object.entries(value)) out[k] = toJson(amqpValueToBody(v));
    return out;
  }
  return String(value);
}

function toJson(body: MessageBody): JsonValue {
  return body instanceof Uint8Array ? Buffer.from(body).toString("base64") : body;
}

function decodeApplicationProperties(value: unknown): Record<string, ApplicationPropertyValue> {
  const out = keyedByInput<ApplicationPropertyValue>();
  if (typeof value !== "object" || value === null) return out;
  for (const [key, v] of Object.entries(value)) out[key] = toPropertyValue(v);
  return out;
}

/** Simple AMQP values pass through; anything else (lists, maps, described) as a string. */
function toPropertyValue(v: unknown): ApplicationPropertyValue {
  switch (typeof v) {
    case "string":
    case "number":
    case "boolean":
      return v;
    default:
      if (v === null || v instanceof Date || v instanceof Uint8Array) return v;
      return String(v);
  }
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Message and correlation ids may be strings, numbers, uuids or binary on the wire. */
function idToString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (Buffer.isBuffer(value)) return value.toString("hex");
  return String(value);
}
