/**
 * From an HTTP body to the messages to publish: the content mode (plain JSON, CloudEvents
 * structured, binary or batch), the JSON, the CloudEvent envelope, the message id. The
 * client's bytes are forwarded untouched for a single message; batch items are serialised
 * one by one. The payload of each message (what the channel's schema applies to) travels
 * along with the JSON pointer of its place in the body.
 */
import {
  type CloudEvent,
  CloudEventInvalidError,
  checkCloudEvent,
  isJsonEssence as isJsonMediaEssence,
  keyedByInput,
  type MeshMessage,
  readMediaType,
  toAmqpMessage,
} from "../amqp/index.ts";
import { fail, type Problem, ProblemError, problem } from "./problem.ts";

export type ContentMode = "json" | "structured" | "binary" | "batch";

export interface RequestFormat {
  mode: ContentMode;
  /** The Content-Type as sent, forwarded as the message's content type. */
  contentType: string;
}

const CLOUDEVENTS_JSON = "application/cloudevents+json";
const CLOUDEVENTS_BATCH = "application/cloudevents-batch+json";

/** `application/json` or `application/<anything>+json`: the JSON the ingress takes. */
function isJsonEssence(essence: string): boolean {
  return essence.startsWith("application/") && isJsonMediaEssence(essence);
}

const ACCEPTED = `application/json (or application/*+json), ${CLOUDEVENTS_JSON}, ${CLOUDEVENTS_BATCH}`;

/** The content mode of a request; a 415 problem for anything but UTF-8 JSON. */
export function requestFormat(
  headers: Readonly<Record<string, string | undefined>>,
): RequestFormat {
  const contentType = headers["content-type"];
  if (contentType === undefined || contentType.trim() === "")
    fail("unsupported-media-type", `no Content-Type; send one of ${ACCEPTED}`);
  const reading = readMediaType(contentType);
  if (!reading.ok)
    fail(
      "unsupported-media-type",
      `Content-Type '${contentType}' is not a media type: ${reading.reason}`,
    );
  const media = reading.media;
  if (media.charset !== undefined && media.charset !== "utf-8" && media.charset !== "utf8")
    fail("unsupported-media-type", `charset '${media.charset}': only UTF-8 is accepted`);
  if (media.essence === CLOUDEVENTS_JSON) return { mode: "structured", contentType };
  if (media.essence === CLOUDEVENTS_BATCH) return { mode: "batch", contentType };
  if (!isJsonEssence(media.essence))
    fail(
      "unsupported-media-type",
      `Content-Type '${media.essence}' is not accepted; channel payloads are JSON: ${ACCEPTED}`,
    );
  return { mode: headers["ce-specversion"] !== undefined ? "binary" : "json", contentType };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The body as JSON; undefined for an empty body; a 400 problem when it is not UTF-8 JSON. */
export function parseJsonBody(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) return undefined;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return fail("malformed-request", "the body is not valid UTF-8");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    return fail(
      "malformed-request",
      `the body is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** `Idempotency-Key` (a structured-field string or a bare token) → message id. */
export function idempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  let key: string;
  if (value.startsWith('"')) {
    const match = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/.exec(value);
    if (match === null)
      fail("malformed-request", "Idempotency-Key: a quoted key must be printable ASCII");
    key = (match[1] as string).replace(/\\(["\\])/g, "$1");
  } else {
    if (!/^[\x21-\x7e]+$/.test(value))
      fail("malformed-request", "Idempotency-Key: the key must be printable ASCII without spaces");
    key = value;
  }
  if (key.length === 0 || key.length > 200)
    fail("malformed-request", "Idempotency-Key: the key must have 1 to 200 characters");
  return key;
}

/** A message ready to publish, with the payload the channel's schema checks. */
export interface PreparedMessage {
  message: MeshMessage;
  /** The payload, absent when the message carries none (a CloudEvent without data). */
  payload: { value: unknown } | undefined;
  /** JSON pointer of the payload in the request body ("" for the whole body). */
  pointer: string;
}

/** A batch item: ready, or refused with its own problem. */
export type BatchItem = { ok: true; prepared: PreparedMessage } | { ok: false; problem: Problem };

export type PreparedRequest =
  | { kind: "single"; prepared: PreparedMessage }
  | { kind: "batch"; items: BatchItem[] };

export const MAX_BATCH_ITEMS = 100;

function invalidEvent(issues: readonly string[], where: string): never {
  return fail("malformed-request", `${where} is not a valid CloudEvent: ${issues.join("; ")}`);
}

function checkEnvelope(value: unknown, where: string): CloudEvent {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail("malformed-request", `${where} must be a JSON object (a CloudEvent)`);
  const event = value as Record<string, unknown>;
  if ("data_base64" in event)
    fail(
      "unsupported-media-type",
      `${where} carries data_base64; channel payloads are JSON: send the payload as data`,
    );
  const checked = checkCloudEvent(event);
  if (!checked.ok) invalidEvent(checked.issues, where);
  const type = event.datacontenttype;
  if (typeof type === "string") {
    const reading = readMediaType(type);
    if (!reading.ok)
      fail(
        "unsupported-media-type",
        `${where}: datacontenttype '${type}' is not a media type: ${reading.reason}`,
      );
    if (!isJsonEssence(reading.media.essence))
      fail("unsupported-media-type", `${where}: datacontenttype '${type}' is not JSON`);
  }
  return event as CloudEvent;
}

function payloadOf(event: Record<string, unknown>): { value: unknown } | undefined {
  return "data" in event ? { value: event.data } : undefined;
}

/** The CloudEvent of a binary-mode request: `ce-*` headers, percent-decoded. */
function binaryEvent(
  headers: Readonly<Record<string, string | undefined>>,
  contentType: string,
  bytes: Uint8Array,
): CloudEvent {
  // Keyed by header names: without a prototype, `ce-__proto__` is an attribute to refuse.
  const event = keyedByInput<unknown>();
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith("ce-") || value === undefined) continue;
    const attribute = name.slice(3);
    if (attribute === "datacontenttype")
      fail("malformed-request", "ce-datacontenttype: in binary mode the Content-Type says it");
    if (attribute === "data")
      fail("malformed-request", "ce-data: in binary mode the body is the data");
    try {
      event[attribute] = decodeURIComponent(value);
    } catch {
      fail("malformed-request", `${name}: not a valid percent-encoded value`);
    }
  }
  event.datacontenttype = contentType;
  if (bytes.byteLength > 0) event.data = bytes;
  return event as CloudEvent;
}

function withId(message: MeshMessage, id: string | undefined): MeshMessage {
  return id === undefined ? message : { ...message, messageId: id };
}

/** Turns a checked body into the messages to publish; problems for what is malformed. */
export function prepareRequest(
  format: RequestFormat,
  bytes: Uint8Array,
  headers: Readonly<Record<string, string | undefined>>,
  messageId: string | undefined,
): PreparedRequest {
  const json = parseJsonBody(bytes);
  switch (format.mode) {
    case "binary": {
      const event = binaryEvent(headers, format.contentType, bytes);
      let message: MeshMessage;
      try {
        message = toAmqpMessage(event, { mode: "binary" });
      } catch (error) {
        if (error instanceof CloudEventInvalidError) invalidEvent(error.issues, "the ce-* headers");
        throw error;
      }
      const payload = json === undefined ? undefined : { value: json };
      return {
        kind: "single",
        prepared: { message: withId(message, messageId), payload, pointer: "" },
      };
    }
    case "structured": {
      if (json === undefined) fail("malformed-request", "the body is empty; send a CloudEvent");
      const event = checkEnvelope(json, "the body");
      const message: MeshMessage = {
        body: bytes,
        contentType: format.contentType,
        messageId: messageId ?? event.id,
      };
      return {
        kind: "single",
        prepared: {
          message,
          payload: payloadOf(event as Record<string, unknown>),
          pointer: "/data",
        },
      };
    }
    case "batch": {
      if (!Array.isArray(json))
        fail(
          "malformed-request",
          `a ${CLOUDEVENTS_BATCH} body must be a JSON array of CloudEvents`,
        );
      return { kind: "batch", items: batchItems(json, messageId, eventItem) };
    }
    case "json": {
      if (json === undefined) fail("malformed-request", "the body is empty; send a JSON payload");
      if (Array.isArray(json))
        return { kind: "batch", items: batchItems(json, messageId, jsonItem) };
      const message: MeshMessage = { body: bytes, contentType: format.contentType };
      return {
        kind: "single",
        prepared: { message: withId(message, messageId), payload: { value: json }, pointer: "" },
      };
    }
  }
}

type ItemBuilder = (value: unknown, index: number, id: string | undefined) => PreparedMessage;

/** A batch item's JSON as bytes, now: a value too deep to serialise is the client's problem. */
function serialised(value: unknown, index: number): Uint8Array {
  try {
    return Buffer.from(JSON.stringify(value), "utf8");
  } catch {
    return fail("malformed-request", `item ${index} is nested too deeply to be forwarded`);
  }
}

const jsonItem: ItemBuilder = (value, index, id) => ({
  message: withId({ body: serialised(value, index), contentType: "application/json" }, id),
  payload: { value },
  pointer: `/${index}`,
});

const eventItem: ItemBuilder = (value, index, id) => {
  const event = checkEnvelope(value, `item ${index}`);
  const structured = toAmqpMessage(event, { mode: "structured" });
  return {
    message: withId({ ...structured, body: serialised(structured.body, index) }, id),
    payload: payloadOf(event as Record<string, unknown>),
    pointer: `/${index}/data`,
  };
};

function batchItems(
  values: unknown[],
  messageId: string | undefined,
  build: ItemBuilder,
): BatchItem[] {
  if (values.length === 0) fail("malformed-request", "the batch is empty");
  if (values.length > MAX_BATCH_ITEMS)
    fail(
      "content-too-large",
      `the batch has ${values.length} items; at most ${MAX_BATCH_ITEMS} per request`,
    );
  return values.map((value, index) => {
    try {
      // With an Idempotency-Key, each item's id is derived from it and its place.
      const id = messageId === undefined ? undefined : `${messageId}:${index}`;
      return { ok: true, prepared: build(value, index, id) };
    } catch (error) {
      if (error instanceof ProblemError) return { ok: false, problem: error.problem };
      return {
        ok: false,
        problem: problem(
          "malformed-request",
          `item ${index} cannot be published: ${String(error)}`,
        ),
      };
    }
  });
}
