/**
 * CloudEvents AMQP protocol binding (binary and structured content modes, JSON event format).
 * Binary: attributes as application properties prefixed `cloudEvents_` (`cloudEvents:`
 * accepted on receive), datacontenttype as the AMQP content-type, data as the body.
 * Structured: the whole event as `application/cloudevents+json`.
 */
import * as z from "zod/mini";
import { isJsonContentType, mediaEssence } from "./content-type.ts";
import { CloudEventInvalidError } from "./errors.ts";
import type { ApplicationPropertyValue, JsonValue, MeshMessage, MessageBody } from "./message.ts";
import { keyedByInput } from "./message.ts";
import { englishMessages, issueLines } from "./schema-issues.ts";

export const CLOUDEVENTS_JSON = "application/cloudevents+json";
const PREFIX = "cloudEvents_";
const LEGACY_PREFIX = "cloudEvents:";

const attributeName = /^[a-z0-9]{1,20}$/;
const extensionValue = () =>
  z.union([
    z.string(),
    z.number().check(z.int()),
    z.boolean(),
    z.custom<Uint8Array>((v) => v instanceof Uint8Array, "expected bytes"),
  ]);
type ExtensionValue = z.infer<ReturnType<typeof extensionValue>>;

const nonEmpty = () => z.string().check(z.minLength(1));

/** Built on first use (cold start: most functions never parse a CloudEvent). */
export const cloudEventSchema = z.lazy(() =>
  z
    .catchall(
      z.object({
        specversion: z.literal("1.0"),
        id: nonEmpty(),
        source: nonEmpty(),
        type: nonEmpty(),
        datacontenttype: z.optional(nonEmpty()),
        dataschema: z.optional(nonEmpty()),
        subject: z.optional(nonEmpty()),
        time: z.optional(z.iso.datetime({ offset: true })),
        data: z.optional(
          z.custom<JsonValue | Uint8Array>((v) => v !== undefined, "data must be JSON or bytes"),
        ),
      }),
      extensionValue(),
    )
    .check(
      z.superRefine((event, ctx) => {
        for (const key of Object.keys(event)) {
          if (key !== "data" && !attributeName.test(key)) {
            ctx.addIssue({ code: "custom", path: [key], message: ATTRIBUTE_NAME_RULE });
          }
        }
      }),
    ),
);

const ATTRIBUTE_NAME_RULE = "attribute names are 1-20 lower-case letters or digits";

/**
 * The input's own keys that are no attribute names. Read before zod, which leaves a
 * `__proto__` key out of what it returns without a word: it would never reach the check.
 */
function attributeNameIssues(input: unknown): string[] {
  if (typeof input !== "object" || input === null) return [];
  return Object.keys(input)
    .filter((key) => key !== "data" && !attributeName.test(key))
    .map((key) => `${JSON.stringify(key)}: ${ATTRIBUTE_NAME_RULE}`);
}

/** A CloudEvent checked in full (attribute names as given, then the schema), or its issues. */
export function checkCloudEvent(
  input: unknown,
): { ok: true; event: CloudEvent } | { ok: false; issues: string[] } {
  const names = attributeNameIssues(input);
  if (names.length > 0) return { ok: false, issues: names };
  const result = cloudEventSchema.safeParse(input, englishMessages);
  if (!result.success) return { ok: false, issues: issueLines(result.error, "(event)") };
  return { ok: true, event: result.data as CloudEvent };
}

/**
 * A CloudEvent. Written out rather than inferred: zod's catch-all for extensions would give
 * an index signature that rejects the `data` member. The schema above checks it at runtime.
 */
export interface CloudEvent {
  specversion: "1.0";
  id: string;
  source: string;
  type: string;
  datacontenttype?: string;
  dataschema?: string;
  subject?: string;
  time?: string;
  data?: JsonValue | Uint8Array;
  /** Extension attributes: string, integer, boolean or binary. */
  [extension: string]: JsonValue | Uint8Array | undefined;
}

export interface ToAmqpOptions {
  mode: "binary" | "structured";
}

function validate(input: unknown): CloudEvent {
  const checked = checkCloudEvent(input);
  if (!checked.ok) throw new CloudEventInvalidError(checked.issues);
  return checked.event;
}

/** Maps a CloudEvent to a message; the event id becomes the message id (idempotency key). */
export function toAmqpMessage(
  event: CloudEvent,
  options: ToAmqpOptions = { mode: "binary" },
): MeshMessage {
  const valid = validate(event);
  return options.mode === "structured" ? toStructured(valid) : toBinary(valid);
}

function toBinary(event: CloudEvent): MeshMessage {
  const properties = keyedByInput<ApplicationPropertyValue>();
  for (const [key, value] of Object.entries(event)) {
    if (key === "data" || key === "datacontenttype" || value === undefined) continue;
    properties[`${PREFIX}${key}`] = value as ExtensionValue;
  }
  const message: MeshMessage = {
    body: event.data === undefined ? new Uint8Array(0) : event.data,
    messageId: event.id,
    applicationProperties: properties,
  };
  const contentType =
    event.datacontenttype ??
    (event.data !== undefined && !(event.data instanceof Uint8Array)
      ? "application/json"
      : undefined);
  if (contentType !== undefined) message.contentType = contentType;
  return message;
}

function toStructured(event: CloudEvent): MeshMessage {
  const json = keyedByInput<JsonValue>();
  for (const [key, value] of Object.entries(event)) {
    if (value === undefined || key === "data") continue;
    json[key] =
      value instanceof Uint8Array ? Buffer.from(value).toString("base64") : (value as JsonValue);
  }
  if (event.data instanceof Uint8Array) {
    json.data_base64 = Buffer.from(event.data).toString("base64");
  } else if (event.data !== undefined) {
    json.data = event.data;
  }
  return { body: json, contentType: `${CLOUDEVENTS_JSON}; charset=utf-8`, messageId: event.id };
}

/**
 * Reads a CloudEvent from a received (or about-to-be-sent) message, in either mode. Any
 * problem is a CloudEventInvalidError, whatever the input.
 */
export function fromAmqpMessage(message: unknown): CloudEvent {
  try {
    return readEvent(message);
  } catch (error) {
    if (error instanceof CloudEventInvalidError) throw error;
    throw new CloudEventInvalidError([
      `unreadable message: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
}

function readEvent(message: unknown): CloudEvent {
  if (typeof message !== "object" || message === null) {
    throw new CloudEventInvalidError(["not a message object"]);
  }
  const m = message as { contentType?: unknown; body?: unknown; applicationProperties?: unknown };
  const contentType = typeof m.contentType === "string" ? m.contentType : undefined;
  const base = mediaEssence(contentType);
  if (base?.startsWith("application/cloudevents")) {
    if (base !== CLOUDEVENTS_JSON) {
      throw new CloudEventInvalidError([`unsupported event format ${base}`]);
    }
    return readStructured(m.body);
  }
  return readBinary(m.applicationProperties, contentType, m.body);
}

function readStructured(body: unknown): CloudEvent {
  let json: unknown = body;
  if (body instanceof Uint8Array) json = parseJson(Buffer.from(body).toString("utf8"));
  else if (typeof body === "string") json = parseJson(body);
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new CloudEventInvalidError(["structured event body is not a JSON object"]);
  }
  // Copied key by key into a map without a prototype: `__proto__` stays a key, and is refused.
  const event = keyedByInput<unknown>();
  for (const [key, value] of Object.entries(json)) event[key] = value;
  const base64 = event.data_base64;
  delete event.data_base64;
  if (base64 !== undefined) {
    if (typeof base64 !== "string") throw new CloudEventInvalidError(["data_base64: not a string"]);
    if ("data" in event) throw new CloudEventInvalidError(["data and data_base64 are exclusive"]);
    event.data = new Uint8Array(Buffer.from(base64, "base64"));
  }
  return validate(event);
}

function readBinary(
  properties: unknown,
  contentType: string | undefined,
  body: unknown,
): CloudEvent {
  const event = keyedByInput<unknown>();
  if (typeof properties === "object" && properties !== null) {
    for (const [key, value] of Object.entries(properties)) {
      const name = key.startsWith(PREFIX)
        ? key.slice(PREFIX.length)
        : key.startsWith(LEGACY_PREFIX)
          ? key.slice(LEGACY_PREFIX.length)
          : undefined;
      if (name === undefined) continue;
      if (name === "data")
        throw new CloudEventInvalidError([`${key}: in binary mode the data is the body`]);
      event[name] = attributeValue(value);
    }
  }
  if (contentType !== undefined) event.datacontenttype = contentType;
  const data = binaryData(body, contentType);
  if (data !== undefined) event.data = data;
  return validate(event);
}

/** Native AMQP values as CloudEvents types; timestamps in their canonical string form. */
function attributeValue(value: unknown): unknown {
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? "invalid date" : value.toISOString();
  }
  if (Buffer.isBuffer(value)) return new Uint8Array(value);
  return value;
}

function binaryData(body: unknown, contentType: string | undefined): MessageBody | undefined {
  if (body === undefined) return undefined;
  if (body instanceof Uint8Array) {
    if (body.byteLength === 0 && contentType === undefined) return undefined;
    if (isJsonContentType(contentType)) return parseJson(Buffer.from(body).toString("utf8"));
    return body;
  }
  return body as MessageBody;
}

function parseJson(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new CloudEventInvalidError(["event body is not valid JSON"]);
  }
}
