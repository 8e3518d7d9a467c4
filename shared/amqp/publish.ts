/**
 * publish(): encode once (with trace context), hand to the address's cached sender, resolve
 * on `accepted` (or, at-most-once, when sent presettled).
 */
import type { Context } from "@opentelemetry/api";
import { encodeMeshMessage, type MeshMessage } from "./message.ts";
import type { DeliveryMode, PublishEntry, SenderPool } from "./sender-pool.ts";
import { endSpan, injectTraceContext, startPublishSpan } from "./trace-context.ts";

export interface PublishOptions {
  /** Parent trace context (e.g. extracted from an HTTP request); defaults to the active one. */
  traceContext?: Context;
  /** Give up after this many ms: BackPressureError if never sent, PublishTimeoutError if unaccepted. */
  deadline?: number;
  /** `at-least-once` (default) waits for `accepted`; `at-most-once` sends presettled. */
  delivery?: DeliveryMode;
}

export interface PublishResult {
  /** The idempotency key the message carried (generated when the caller gave none). */
  messageId: string;
}

export function publishMessage(
  pool: SenderPool,
  address: string,
  message: MeshMessage,
  options: PublishOptions,
  defaultDeadlineMs: number,
): Promise<PublishResult> {
  const { span, ctx } = startPublishSpan(address, options.traceContext);
  let encoded: ReturnType<typeof encodeMeshMessage>;
  const mode = options.delivery ?? "at-least-once";
  try {
    encoded = encodeMeshMessage(message, injectTraceContext(ctx), mode === "at-least-once");
  } catch (error) {
    endSpan(span, error);
    return Promise.reject(error);
  }
  span.setAttribute("messaging.message.id", encoded.messageId);
  const deadlineMs = options.deadline ?? defaultDeadlineMs;
  return new Promise<PublishResult>((resolve, reject) => {
    const entry: PublishEntry = {
      payload: encoded.payload,
      messageId: encoded.messageId,
      deadlineAt: Date.now() + deadlineMs,
      deadlineMs,
      resolve: () => {
        endSpan(span);
        resolve({ messageId: encoded.messageId });
      },
      reject: (error) => {
        endSpan(span, error);
        reject(error);
      },
      attempts: 0,
      lastOutcome: undefined,
      done: false,
      retryTimer: undefined,
      seq: 0,
    };
    pool.get(address, mode).publish(entry);
  });
}
