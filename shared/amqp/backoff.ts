/** Exponential backoff with jitter, and one timer for many deadlines. */
import { MAX_TIMER_MS } from "./limits.ts";

/**
 * Delay before attempt `attempt` (0-based): the exponential step capped at `maxMs`, with
 * "equal jitter" (half fixed, half random) so clients that lost the same router spread out.
 */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const step = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

export interface Expiring {
  readonly deadlineAt: number;
}

/**
 * Tracks many deadlines with a single timer armed for the earliest one; on expiry it scans
 * the (small, bounded-by-credit-and-callers) set. Cheaper than one timer per publish.
 */
export class DeadlineTimer<T extends Expiring> {
  private readonly items = new Set<T>();
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Number.POSITIVE_INFINITY;
  private readonly onExpire: (item: T) => void;

  constructor(onExpire: (item: T) => void) {
    this.onExpire = onExpire;
  }

  add(item: T): void {
    this.items.add(item);
    if (item.deadlineAt < this.armedAt) this.arm(item.deadlineAt);
  }

  delete(item: T): void {
    this.items.delete(item);
    if (this.items.size === 0) this.disarm();
  }

  /** A snapshot of the pending items. */
  values(): T[] {
    return [...this.items];
  }

  get size(): number {
    return this.items.size;
  }

  private arm(at: number): void {
    this.disarm();
    this.armedAt = at;
    // Capped: a longer setTimeout fires after 1 ms; fire() re-arms for what is still pending.
    this.timer = setTimeout(
      () => this.fire(),
      Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())),
    );
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
  }

  private fire(): void {
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    // A late timer (a busy event loop) finds several due: they expire in deadline order.
    const due = [...this.items]
      .filter((item) => item.deadlineAt <= now)
      .sort((a, b) => a.deadlineAt - b.deadlineAt);
    for (const item of due) {
      // An earlier onExpire may have removed it.
      if (!this.items.delete(item)) continue;
      this.onExpire(item);
    }
    // onExpire may have added or removed items; re-arm for the earliest still pending.
    let next = Number.POSITIVE_INFINITY;
    for (const item of this.items) if (item.deadlineAt < next) next = item.deadlineAt;
    if (next !== Number.POSITIVE_INFINITY && this.timer === undefined) this.arm(next);
  }
}
