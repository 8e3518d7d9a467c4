/**
 * A consumer's settlements and its credit window. Credit starts at `prefetch` and one
 * credit is given back per settled delivery, so a slow handler slows the producer instead
 * of filling memory; the handler's outcome chooses the settlement.
 */
import { escapeControlCharacters } from "../log-text.ts";
import { describeThrown, isRetryable, PermanentError, RetryableError } from "./errors.ts";
import type { Delivery, Receiver } from "./rhea.ts";

/**
 * rhea's per-session delivery buffer (one session per consumer). It frees deliveries only
 * from the oldest end, so one slow handler plus steady credit would overflow it; credit is
 * held back while the span from the oldest unsettled delivery would not fit.
 */
export const SESSION_BUFFER = 2_048;

export type Settlement =
  | { kind: "accept" }
  | { kind: "release" }
  | { kind: "modified" }
  | { kind: "reject"; description: string };

/** Settled deliveries by outcome. */
export interface SettlementStats {
  accepted: number;
  released: number;
  modified: number;
  rejected: number;
}

/** The settlement a handler's error asks for; `modified` when the error cannot even be read. */
export function settlementFor(error: unknown): Settlement {
  try {
    if (error instanceof PermanentError || !isRetryable(error)) {
      return { kind: "reject", description: describeThrown(error) };
    }
    if (error instanceof RetryableError && error.release) return { kind: "release" };
  } catch {
    // A Proxy whose traps throw, a getter that throws: retry, like any other error.
  }
  return { kind: "modified" };
}

/** Settles `delivery` as `settlement` says, counted in `stats`. */
export function settleDelivery(
  delivery: Delivery,
  settlement: Settlement,
  stats: SettlementStats,
): void {
  switch (settlement.kind) {
    case "accept":
      delivery.accept();
      stats.accepted++;
      break;
    case "release":
      delivery.release();
      stats.released++;
      break;
    case "modified":
      delivery.modified({ delivery_failed: true });
      stats.modified++;
      break;
    case "reject":
      delivery.reject({
        condition: "amqp:precondition-failed",
        // From the payload or a handler's error: it reaches the sender's logs and dead letters.
        description: escapeControlCharacters(settlement.description),
      });
      stats.rejected++;
      break;
  }
}

/** The unsettled deliveries of a consumer's current link, and the credit they earned back. */
export class CreditWindow {
  readonly prefetch: number;
  /** Unsettled deliveries of the current link by delivery id (ascending, insertion order). */
  private readonly unsettled = new Map<number, Delivery>();
  private newestId = -1;
  /** Credit earned by settlements but held back to protect the session buffer. */
  private owed = 0;

  constructor(prefetch: number) {
    this.prefetch = prefetch;
  }

  /** A new link: nothing unsettled on it, nothing owed. */
  newLink(): void {
    this.unsettled.clear();
    this.owed = 0;
  }

  received(delivery: Delivery): void {
    this.unsettled.set(delivery.id, delivery);
    this.newestId = delivery.id;
  }

  settled(delivery: Delivery): void {
    this.unsettled.delete(delivery.id);
  }

  /** A settlement earned a credit: given back on `link` unless the session buffer is at risk. */
  earned(link: Receiver): void {
    this.owed++;
    const oldest = this.unsettled.keys().next();
    const span = oldest.done ? 0 : this.newestId - oldest.value + 1;
    if (span + this.prefetch > SESSION_BUFFER) return;
    link.add_credit(this.owed);
    this.owed = 0;
  }
}
