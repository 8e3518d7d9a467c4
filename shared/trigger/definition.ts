/**
 * The one thing a team writes: `defineChannelHandler({ channel, handler })`. The handler gets
 * a batch of typed messages (payloads already checked against the channel's schema) and a
 * context to publish with, and answers which items failed, SQS-style. Every front — the
 * bridge's Lambda Invoke and Azure HTTP calls, Amazon MQ, Service Bus, in-process — runs the
 * same definition through `runChannelBatch`.
 */
import type { Context } from "@opentelemetry/api";
import type { ApplicationPropertyValue, JsonValue, PublishResult } from "../amqp/index.ts";
import type { BatchResponse } from "./batch-response.ts";
import { ChannelHandlerDefinitionError } from "./errors.ts";

export type { BatchItemFailure, BatchResponse } from "./batch-response.ts";

declare global {
  /**
   * Channel address → payload type. Empty here; the file `amqp-mesh types` writes adds every
   * channel's payload (declaration merging), so `defineChannelHandler<"sales/orders">` and
   * `context.publish("billing/invoices", …)` are checked by the compiler.
   */
  interface AmqpMeshChannelPayloads {}
}

/** The channels the generated types know (none without them). */
export type TypedChannel = keyof AmqpMeshChannelPayloads & string;

/** The payload of a channel: its generated type when known, any JSON otherwise. */
export type PayloadOf<C extends string> = C extends TypedChannel
  ? AmqpMeshChannelPayloads[C]
  : JsonValue;

/** CloudEvent context attributes of a message sent as a CloudEvent (binary or structured). */
export interface CloudEventAttributes {
  id: string;
  source: string;
  type: string;
  specversion: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  /** Extension attributes. */
  extensions: Record<string, string | number | boolean>;
}

/** W3C trace context the producer sent, and the OpenTelemetry context continuing it. */
export interface MessageTrace {
  traceparent: string | undefined;
  tracestate: string | undefined;
  /** Pass as `traceContext` (or use `publish(..., { causedBy: message })`) to continue it. */
  context: Context;
}

export interface ChannelMessage<T> {
  /** Identifies the item in this batch: what `batchItemFailures[].itemIdentifier` names. */
  id: string;
  /** The message id, the same on every redelivery and resend (its producer chose it). */
  messageId: string;
  /**
   * Who sent it, when the message says so in a way a router verifies (its AMQP user-id);
   * undefined otherwise (messages through the ingress carry `<principal>/<id>` ids instead).
   */
  producer: string | undefined;
  /** What to de-duplicate on: channel, producer and message id together (never the id alone). */
  idempotencyKey: string;
  channel: string;
  /** The payload, valid against the channel's schema. */
  payload: T;
  /** 1 on the first delivery, then counting up on each retry. */
  attempt: number;
  contentType: string | undefined;
  subject: string | undefined;
  correlationId: string | undefined;
  /** Application properties, without the CloudEvents and trace context ones. */
  properties: Record<string, ApplicationPropertyValue>;
  /** Set when the message is a CloudEvent. */
  cloudEvent: CloudEventAttributes | undefined;
  trace: MessageTrace;
}

export interface PublishFromFunctionOptions {
  /** Idempotency key; derive it from the message that caused the publish, so retries repeat it. */
  messageId?: string;
  /** Continues this message's trace and sets the correlation id to its message id. */
  causedBy?: ChannelMessage<unknown>;
  subject?: string;
  /** Application properties to add. */
  properties?: Record<string, ApplicationPropertyValue>;
  /** Send as a binary-mode CloudEvent with these attributes (id defaults to the message id). */
  cloudEvent?: { type: string; source: string; subject?: string };
  /** Longest wait for the router's answer (cut to the invocation's remaining time). */
  deadlineMs?: number;
}

/** What a handler may do besides reading its batch. */
export interface TriggerContext {
  /**
   * Publishes to another channel through the shared client (at-least-once: resolves when
   * the router accepted). The payload is checked against that channel's schema first.
   */
  publish<C extends string>(
    channel: C,
    payload: PayloadOf<C>,
    options?: PublishFromFunctionOptions,
  ): Promise<PublishResult>;
  /** Which front runs the handler. */
  readonly platform: "aws-lambda" | "azure-functions" | "local";
  /** How the messages came: through the bridge, or from a broker queue. */
  readonly mode: "bridge" | "queued";
  /** Milliseconds before the platform stops the invocation. */
  remainingMs(): number;
  log(message: string, fields?: Record<string, unknown>): void;
}

/** A handler that returns nothing reported no failures. */
export type ChannelHandler<T> = (
  batch: ChannelMessage<T>[],
  context: TriggerContext,
  // biome-ignore lint/suspicious/noConfusingVoidType: an async handler without a return is Promise<void>
) => Promise<BatchResponse | undefined | void> | BatchResponse | undefined | void;

export interface ChannelHandlerOptions<T> {
  /** The registered channel address the function consumes. */
  channel: string;
  handler: ChannelHandler<T>;
  /** A name for logs and deployments (default: the channel with `/` and `.` as `-`). */
  name?: string;
}

export interface ChannelHandlerDefinition<T> {
  readonly kind: "amqp-mesh/channel-handler";
  readonly channel: string;
  readonly name: string;
  readonly handler: ChannelHandler<T>;
}

const CHANNEL_PATTERN = /^[A-Za-z0-9_-]+([./][A-Za-z0-9_-]+)*$/;

/**
 * Defines a channel's handler once, for every front. With the generated channel types,
 * `defineChannelHandler<"sales/orders">` (or just the channel) types the payload from the
 * channel's schema; without them `T` is the payload type. The schema itself is checked at run
 * time against the registry snapshot.
 */
export function defineChannelHandler<C extends TypedChannel>(
  options: ChannelHandlerOptions<AmqpMeshChannelPayloads[C]> & { channel: C },
): ChannelHandlerDefinition<AmqpMeshChannelPayloads[C]>;
/** Untyped channels: `T` is the payload type (any JSON when not given). */
export function defineChannelHandler<T = JsonValue>(
  options: ChannelHandlerOptions<T>,
): ChannelHandlerDefinition<T>;
export function defineChannelHandler<T>(
  options: ChannelHandlerOptions<T>,
): ChannelHandlerDefinition<T> {
  if (typeof options !== "object" || options === null)
    throw new ChannelHandlerDefinitionError("defineChannelHandler takes { channel, handler }");
  const { channel, handler } = options;
  if (typeof channel !== "string" || !CHANNEL_PATTERN.test(channel))
    throw new ChannelHandlerDefinitionError(
      `channel must be a registered channel address such as "sales/orders" (got ${JSON.stringify(channel)})`,
    );
  if (typeof handler !== "function")
    throw new ChannelHandlerDefinitionError(
      `handler of channel "${channel}" must be a function (batch, context) => { batchItemFailures }`,
    );
  const name = options.name ?? channel.replace(/[./]/g, "-");
  if (!/^[A-Za-z][A-Za-z0-9-]{0,59}$/.test(name))
    throw new ChannelHandlerDefinitionError(
      `name "${name}" must start with a letter and hold only letters, digits and '-' (≤ 60), as both clouds name functions`,
    );
  return { kind: "amqp-mesh/channel-handler", channel, name, handler };
}

export function isChannelHandlerDefinition(
  value: unknown,
): value is ChannelHandlerDefinition<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { kind?: unknown }).kind === "amqp-mesh/channel-handler"
  );
}
