/**
 * One publish call as a sender carries it, and the errors it can end with: what the sender
 * knew when it gave up (never sent and no route, no consumer, no credit; or sent and never
 * accepted) chooses the error.
 */
import { backoffDelay } from "./backoff.ts";
import {
  BackPressureError,
  NoConsumerError,
  NoRouteError,
  PublishRejectedError,
  PublishTimeoutError,
} from "./errors.ts";
import type { Outcome } from "./outcome.ts";

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

/** Backoff between retries of a released/modified message (bounded by its deadline). */
const RETRY_INITIAL_MS = 20;
const RETRY_MAX_MS = 1_000;

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

/** How long a released (or modified) publish waits before it is sent again. */
export function retryDelay(entry: PublishEntry): number {
  return backoffDelay(entry.attempts - 1, RETRY_INITIAL_MS, RETRY_MAX_MS);
}

/**
 * What the router's settlement means for a publish: `{ error }` when it is done (accepted:
 * no error; rejected: PublishRejectedError), undefined when it is to be sent again
 * (released, modified, or settled without an outcome, which is not an acceptance).
 */
export function settledAs(
  route: Route,
  entry: PublishEntry,
  outcome: Outcome | undefined,
): { error: Error | undefined } | undefined {
  if (outcome === undefined) {
    // The router forgot the delivery without saying it took it: resent until the deadline.
    entry.lastOutcome = "settled-without-outcome";
    return undefined;
  }
  switch (outcome.kind) {
    case "accepted":
      return { error: undefined };
    case "rejected":
      return {
        error: new PublishRejectedError({
          ...route,
          messageId: entry.messageId,
          condition: outcome.error?.condition,
          description: outcome.error?.description,
        }),
      };
    case "released":
    case "modified":
      entry.lastOutcome = outcome.kind;
      return undefined;
  }
}

/** What the sender's link was like when a publish reached its deadline. */
export interface LinkState {
  /** The router answered the link's attach. */
  ready: boolean;
  /** The router's last transient refusal of the attach, if that was its last word. */
  refusal: Refusal | undefined;
  /** How long the open link has been without credit; undefined while it has some. */
  creditlessMs: number | undefined;
}

/**
 * The error of a publish at its deadline. Never sent: no route (the attach refused for
 * now), no consumer (the open link without credit), or back-pressure (no credit left, or no
 * connection). Sent: PublishTimeoutError with the router's last answer.
 */
export function expiredError(route: Route, entry: PublishEntry, link: LinkState): Error {
  if (entry.attempts > 0) return timeoutError(route, entry);
  if (!link.ready && link.refusal) return noRouteError(route, entry, link.refusal);
  if (link.ready && link.creditlessMs !== undefined)
    return noConsumerError(route, entry, link.creditlessMs);
  return backPressureError(route, entry, link.ready ? "no-credit" : "not-connected");
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
