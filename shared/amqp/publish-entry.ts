/**
 * One publish call as a sender carries it, and the errors it can end with: what the sender
 * knew when it gave up (never sent and no route, no consumer, no credit; or sent and never
 * accepted) chooses the error.
 */
import { BackPressureError, NoConsumerError, NoRouteError, PublishTimeoutError } from "./errors.ts";

export type DeliveryMode = "at-least-once" | "at-most-once";

/** One publish call travelling through a sender. */
export interface PublishEntry {
  readonly payload: Buffer;
  readonly messageId: string;
  readonly deadlineAt: number;
  readonly deadlineMs: number;
  /** When the publish was made (Date.now()). */
  readonly startedAt: number;
  /** Give up with NoConsumerError after the open link had no credit this long (see publish.ts). */
  readonly noConsumerWaitMs: number | undefined;
  resolve(): void;
  reject(error: Error): void;
  attempts: number;
  lastOutcome: PublishTimeoutError["lastOutcome"] | undefined;
  done: boolean;
  retryTimer: NodeJS.Timeout | undefined;
  seq: number;
}

/** Hint for callers (ingress Retry-After) when the mesh pushes back. */
export const RETRY_AFTER_MS = 1_000;

/** The router's latest transient refusal of a sender's attach. */
export interface Refusal {
  condition: string;
  description: string | undefined;
  /** Refused attaches in a row (reset once a link gets credit). */
  attaches: number;
}

/** Where a publish was going: the sender's address and the router it is on. */
interface Route {
  address: string;
  url: string | undefined;
}

/** Sent, and not accepted by its deadline: lastOutcome is the router's last answer. */
export function timeoutError(route: Route, entry: PublishEntry): PublishTimeoutError {
  return new PublishTimeoutError({
    ...route,
    messageId: entry.messageId,
    deadlineMs: entry.deadlineMs,
    lastOutcome: entry.lastOutcome ?? "unsettled",
    attempts: entry.attempts,
    retryAfterMs: RETRY_AFTER_MS,
  });
}

/** Never sent: the router's last word on the attach was "no route for now". */
export function noRouteError(route: Route, entry: PublishEntry, refusal: Refusal): NoRouteError {
  return new NoRouteError({
    ...route,
    messageId: entry.messageId,
    deadlineMs: entry.deadlineMs,
    condition: refusal.condition,
    description: refusal.description,
    attaches: refusal.attaches,
    retryAfterMs: RETRY_AFTER_MS,
  });
}

/** Never sent: the open link had no credit for `creditlessMs` (nobody consumes the address). */
export function noConsumerError(
  route: Route,
  entry: PublishEntry,
  creditlessMs: number,
): NoConsumerError {
  return new NoConsumerError({
    ...route,
    messageId: entry.messageId,
    creditlessMs,
    retryAfterMs: RETRY_AFTER_MS,
  });
}

/** Never sent: no connection, or the link's credit used up by others (slow consumers). */
export function backPressureError(
  route: Route,
  entry: PublishEntry,
  reason: "no-credit" | "not-connected",
): BackPressureError {
  return new BackPressureError({
    ...route,
    messageId: entry.messageId,
    deadlineMs: entry.deadlineMs,
    retryAfterMs: RETRY_AFTER_MS,
    reason,
  });
}
