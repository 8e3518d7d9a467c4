/**
 * One delivery through a consumer's handler: decoded, validated, run with the producer's
 * trace context and a receive span, and settled by the outcome. Whatever the handler throws
 * or rejects with (an object whose String() throws, a thenable whose `then` throws...)
 * settles the delivery and never escapes.
 */
import { context as otelContext, ROOT_CONTEXT, type Span } from "@opentelemetry/api";
import type { DeliveryInfo, MessageHandler } from "./consume-options.ts";
import { type Settlement, settlementFor } from "./credit-window.ts";
import { describeThrown } from "./errors.ts";
import { decodeMeshMessage, type ReceivedMessage } from "./message.ts";
import type { Delivery, Message, Receiver } from "./rhea.ts";
import { endSpan, extractTraceContext, startReceiveSpan } from "./trace-context.ts";

/** A delivery received on a consumer's link, waiting for (or in) its handler. */
export interface Pending {
  delivery: Delivery;
  link: Receiver;
  raw: Message;
}

/** What a delivery's handling needs of its consumer. */
export interface HandlerRun {
  address: string;
  /** The router the consumer's link is on now. */
  url(): string | undefined;
  handler: MessageHandler;
  validate: ((message: ReceivedMessage) => string | undefined) | undefined;
  /** Settles the delivery (never throws). */
  settle(pending: Pending, settlement: Settlement): void;
}

/** Decodes, validates and runs the handler; a promise only if the handler returned one. */
export function handleDelivery(pending: Pending, run: HandlerRun): Promise<void> | undefined {
  let message: ReceivedMessage;
  let problem: string | undefined;
  try {
    message = decodeMeshMessage(pending.raw);
    const found: unknown = run.validate?.(message);
    problem = found === undefined ? undefined : describeThrown(found);
  } catch (error) {
    run.settle(pending, { kind: "reject", description: describeThrown(error) });
    return undefined;
  }
  if (problem !== undefined) {
    run.settle(pending, { kind: "reject", description: `invalid payload: ${problem}` });
    return undefined;
  }
  const parent = extractTraceContext(message.applicationProperties, ROOT_CONTEXT);
  const { span, ctx } = startReceiveSpan(run.address, parent);
  const info: DeliveryInfo = {
    address: run.address,
    traceContext: ctx,
    url: run.url(),
    userId: userIdOf(pending.raw as { user_id?: unknown }),
  };
  let result: Promise<void> | void;
  try {
    result = otelContext.with(ctx, () => run.handler(message, info));
  } catch (error) {
    failed(run, pending, span, error);
    return undefined;
  }
  if (result === undefined || !isThenable(result)) {
    succeeded(run, pending, span);
    return undefined;
  }
  // Inline arrows (no per-message named closures: cheaper under the TS loaders too).
  return Promise.resolve(result).then(
    () => succeeded(run, pending, span),
    (error: unknown) => failed(run, pending, span, error),
  );
}

function succeeded(run: HandlerRun, pending: Pending, span: Span): void {
  safely(() => endSpan(span));
  run.settle(pending, { kind: "accept" });
}

function failed(run: HandlerRun, pending: Pending, span: Span, error: unknown): void {
  safely(() => endSpan(span, error));
  run.settle(pending, settlementFor(error));
}

/** Whether a handler's result is a promise-like, without trusting its getters. */
function isThenable(value: unknown): value is PromiseLike<void> {
  try {
    return typeof (value as { then?: unknown }).then === "function";
  } catch {
    return true; // A `then` that throws: Promise.resolve() turns it into a rejection.
  }
}

function safely(run: () => void): void {
  try {
    run();
  } catch {
    // A tracer that throws must not keep a delivery unsettled.
  }
}

/** The AMQP user-id (binary on the wire) as text; undefined when absent or empty. */
function userIdOf(raw: { user_id?: unknown }): string | undefined {
  const value = raw.user_id;
  const text =
    value instanceof Uint8Array
      ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("utf8")
      : typeof value === "string"
        ? value
        : undefined;
  return text === "" ? undefined : text;
}
