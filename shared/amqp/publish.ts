/**
 * publish(): encode once (with trace context), hand to the address's cached sender, resolve
 * on `accepted` (or, at-most-once, when sent presettled).
 */
import type { Context, Span } from "@opentelemetry/api";
import * as z from "zod/mini";
import { parseOptions, timeLimitMs } from "./limits.ts";
import { encodeMeshMessage, type MeshMessage } from "./message.ts";
import type { PublishEntry, SenderPool } from "./sender-pool.ts";
import { endSpan, startPublishTrace } from "./trace-context.ts";

/** Built on first use, as the client's other per-call schemas (cold start). */
export const publishOptionsSchema = z.lazy(() =>
  z.object({
    /** Parent trace context (e.g. extracted from an HTTP request); defaults to the active one. */
    traceContext: z.optional(
      // An OpenTelemetry Context (what trace.setSpan / propagation.extract return).
      z.custom<Context>(
        (v) => typeof v === "object" && v !== null && typeof (v as Context).getValue === "function",
        "must be an OpenTelemetry Context",
      ),
    ),
    /** Give up after this many ms: BackPressureError if never sent, PublishTimeoutError if unaccepted. */
    deadline: z.optional(timeLimitMs()),
    /**
     * Give up sooner, with NoConsumerError, when the open link has had no credit for this
     * long since it attached or was drained (no consumer reachable); default: the deadline.
     */
    noConsumerWaitMs: z.optional(timeLimitMs()),
    /** `at-least-once` (default) waits for `accepted`; `at-most-once` sends presettled. */
    delivery: z.optional(z.enum(["at-least-once", "at-most-once"])),
  }),
);
export type PublishOptions = z.input<typeof publishOptionsSchema>;

export interface PublishResult {
  /** The idempotency key the message carried (generated when the caller gave none). */
  messageId: string;
}

export function publishMessage(
  pool: SenderPool,
  address: string,
  message: MeshMessage,
  publishOptions: PublishOptions | undefined,
  defaultDeadlineMs: number,
): Promise<PublishResult> {
  return startPublish(pool, address, message, publishOptions, defaultDeadlineMs).result;
}

/**
 * A publish that its caller may withdraw (a request that gave up): `cancel` settles it with
 * `error` and takes it out of its sender's queue, so it is never sent, or resent after a
 * reconnect. A delivery already with the router cannot be called back.
 */
export function startPublish(
  pool: SenderPool,
  address: string,
  message: MeshMessage,
  publishOptions: PublishOptions | undefined,
  defaultDeadlineMs: number,
): { result: Promise<PublishResult>; cancel(error: Error): void } {
  let options: PublishOptions;
  try {
    options = parseOptions(
      publishOptionsSchema,
      publishOptions,
      `publish options for "${address}"`,
    );
  } catch (error) {
    return { result: Promise.reject(error), cancel: () => {} };
  }
  const { span, traceProperties } = startPublishTrace(address, options.traceContext);
  let encoded: ReturnType<typeof encodeMeshMessage>;
  const mode = options.delivery ?? "at-least-once";
  try {
    encoded = encodeMeshMessage(message, traceProperties, mode === "at-least-once");
  } catch (error) {
    endSpan(span, error);
    return { result: Promise.reject(error), cancel: () => {} };
  }
  span.setAttribute("messaging.message.id", encoded.messageId);
  const deadlineMs = options.deadline ?? defaultDeadlineMs;
  let entry: PendingPublish | undefined;
  const result = new Promise<PublishResult>((resolve, reject) => {
    entry = new PendingPublish(
      encoded.payload,
      encoded.messageId,
      deadlineMs,
      options.noConsumerWaitMs,
      span,
      resolve,
      reject,
    );
  });
  const sender = pool.get(address, mode);
  sender.publish(entry as PendingPublish);
  return { result, cancel: (error) => sender.cancel(entry as PendingPublish, error) };
}

/** One publish in flight; a class so the hot path allocates no per-call closures. */
class PendingPublish implements PublishEntry {
  readonly payload: Buffer;
  readonly messageId: string;
  readonly deadlineAt: number;
  readonly deadlineMs: number;
  readonly startedAt: number;
  readonly noConsumerWaitMs: number | undefined;
  attempts = 0;
  lastOutcome: PublishEntry["lastOutcome"] = undefined;
  done = false;
  retryTimer: NodeJS.Timeout | undefined = undefined;
  seq = 0;
  private readonly span: Span;
  private readonly onResolve: (result: PublishResult) => void;
  private readonly onReject: (error: Error) => void;

  constructor(
    payload: Buffer,
    messageId: string,
    deadlineMs: number,
    noConsumerWaitMs: number | undefined,
    span: Span,
    onResolve: (result: PublishResult) => void,
    onReject: (error: Error) => void,
  ) {
    this.payload = payload;
    this.messageId = messageId;
    this.deadlineMs = deadlineMs;
    this.startedAt = Date.now();
    this.deadlineAt = this.startedAt + deadlineMs;
    this.noConsumerWaitMs = noConsumerWaitMs;
    this.span = span;
    this.onResolve = onResolve;
    this.onReject = onReject;
  }

  resolve(): void {
    endSpan(this.span);
    this.onResolve({ messageId: this.messageId });
  }

  reject(error: Error): void {
    endSpan(this.span, error);
    this.onReject(error);
  }
}
