/**
 * What consume() takes: the handler, what it is told of each delivery, and the options
 * (zod, built on first use: a function that only publishes never parses them).
 */
import type { Context } from "@opentelemetry/api";
import * as z from "zod/mini";
import { SESSION_BUFFER } from "./credit-window.ts";
import { timeLimitMs } from "./limits.ts";
import type { ReceivedMessage } from "./message.ts";

export interface DeliveryInfo {
  address: string;
  /** The trace context the producer sent (with the receive span active). */
  traceContext: Context;
  /** The router the message came through (credentials stripped). */
  url: string | undefined;
  /**
   * The message's AMQP user-id, when the producer set one: routers with a vhost policy
   * refuse a message whose user-id is not its sender's authenticated user.
   */
  userId: string | undefined;
}

export type MessageHandler = (message: ReceivedMessage, info: DeliveryInfo) => Promise<void> | void;

const functionSchema = <F>(what: string) =>
  z.custom<F>((v) => typeof v === "function", `must be a function (${what})`);

/** Built on first use (cold start: a function that only publishes never parses it). */
export const consumeOptionsSchema = z.lazy(() =>
  z
    .object({
      /** Credit window: at most this many deliveries outstanding (unsettled) at a time. */
      prefetch: z._default(
        z
          .number()
          .check(
            z.int(),
            z.minimum(1, "must be at least 1"),
            z.maximum(
              SESSION_BUFFER / 2,
              `must be at most ${SESSION_BUFFER / 2} (half of rhea's ${SESSION_BUFFER}-delivery session buffer)`,
            ),
          ),
        10,
      ),
      /** Handlers running at once (≤ prefetch). */
      concurrency: z._default(z.number().check(z.int(), z.minimum(1, "must be at least 1")), 1),
      /** A problem description for an invalid payload (settled `rejected`), or undefined if valid. */
      validate: z.optional(
        functionSchema<(message: ReceivedMessage) => string | undefined>(
          "message → problem or undefined",
        ),
      ),
      /** Link-level problems (refused attach); the consumer keeps re-attaching unless stopped. */
      onError: z.optional(functionSchema<(error: Error) => void>("error → void")),
      /**
       * stop() drains the link's credit first (default). RabbitMQ 3.x's AMQP 1.0 plugin drops
       * the connection on drain; pass false there: stop() then just stops granting credit.
       */
      drainOnStop: z._default(z.boolean(), true),
      /** How long stop() waits for the router to confirm drain and detach. */
      stopTimeoutMs: z._default(timeLimitMs({ allowZero: true }), 2_000),
      /** How long stop() lets running handlers finish before detaching anyway (default 30 s). */
      handlerGraceMs: z._default(timeLimitMs({ allowZero: true }), 30_000),
    })
    .check(
      z.refine((o) => o.concurrency <= o.prefetch, {
        message: "must not exceed prefetch (a running handler holds one delivery of the window)",
        path: ["concurrency"],
      }),
    ),
);
export type ConsumeOptions = z.input<typeof consumeOptionsSchema>;
export type ParsedConsumeOptions = z.output<typeof consumeOptionsSchema>;
