/**
 * One sender's pending publishes, each until its deadline: waiting for credit (FIFO), in
 * flight, or waiting to be retried. Deliveries
 * are pipelined on the link as far as the router's credit allows, counting the ones rhea
 * still holds (rhea's `credit` only drops when a transfer leaves); what was in flight when
 * a link is lost goes back to the front of the queue, in publish order, to be resent.
 */
import { DeadlineTimer } from "./backoff.ts";
import { type Outcome, readOutcome } from "./outcome.ts";
import type { PublishEntry } from "./publish-entry.ts";
import { creditOf, type Delivery, deliveryCountOf, type Sender } from "./rhea.ts";

export class OutgoingQueue {
  /** Publishes waiting for credit; done entries are skipped lazily. */
  private queue: PublishEntry[] = [];
  private head = 0;
  private readonly inflight = new Map<Delivery, PublishEntry>();
  /** Deliveries handed to the current rhea link (rhea counts those it transmitted). */
  private submitted = 0;
  /** Every unfinished publish (queued, in flight or retrying), by deadline. */
  private readonly deadlines: DeadlineTimer<PublishEntry>;
  private seq = 0;

  /** `expired`: a publish reached its deadline (still pending; the sender ends it). */
  constructor(expired: (entry: PublishEntry) => void) {
    this.deadlines = new DeadlineTimer(expired);
  }

  /** Publishes waiting, retrying or in flight. */
  get pending(): number {
    return this.deadlines.size;
  }

  /** A new publish: pending until its deadline, queued for credit. */
  add(entry: PublishEntry): void {
    entry.seq = this.seq++;
    this.deadlines.add(entry);
    this.queue.push(entry);
  }

  /** Ends a publish (resolved, or rejected with `error`); true when it was the last pending. */
  end(entry: PublishEntry, error?: Error): boolean {
    entry.done = true;
    if (entry.retryTimer) clearTimeout(entry.retryTimer);
    this.deadlines.delete(entry);
    if (error) entry.reject(error);
    else entry.resolve();
    return this.deadlines.size === 0;
  }

  /** Every unfinished publish, to be failed. */
  unfinished(): PublishEntry[] {
    return this.deadlines.values();
  }

  /** Publishes queued for credit (done ones included). */
  waiting(): PublishEntry[] {
    return this.queue.slice(this.head);
  }

  get hasWaiting(): boolean {
    return this.head < this.queue.length;
  }

  /** Queues a publish again (a retry). */
  push(entry: PublishEntry): void {
    this.queue.push(entry);
  }

  /** A new rhea link: nothing handed to it yet. */
  newLink(): void {
    this.submitted = 0;
  }

  /**
   * Hands queued publishes to `link` while it has credit; a presettled one (at-most-once) is
   * done once handed over (`sentPresettled`), the others wait in flight for their outcome.
   * Returns false when rhea's session buffer is full (the link is not sendable).
   */
  send(link: Sender, presettled: boolean, sentPresettled: (entry: PublishEntry) => void): boolean {
    let sendable = true;
    while (this.head < this.queue.length) {
      const heldByRhea = this.submitted - deliveryCountOf(link);
      if (creditOf(link) - heldByRhea <= 0) break;
      if (!link.sendable()) {
        sendable = false;
        break;
      }
      const entry = this.queue[this.head++] as PublishEntry;
      if (entry.done) continue;
      const delivery = link.send(entry.payload, undefined, 0);
      this.submitted++;
      entry.attempts++;
      if (presettled) sentPresettled(entry);
      else this.inflight.set(delivery, entry);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return sendable;
  }

  /**
   * The publish `delivery` carries and the router's outcome, once the delivery has a
   * terminal one (settled, or a terminal state); it is then no longer in flight.
   */
  landed(delivery: Delivery): { entry: PublishEntry; outcome: Outcome | undefined } | undefined {
    const entry = this.inflight.get(delivery);
    if (!entry) return undefined;
    const outcome = readOutcome(delivery.remote_state);
    // No terminal outcome yet (nothing, or a non-terminal state): wait for one.
    if (outcome === undefined && !delivery.remote_settled) return undefined;
    this.inflight.delete(delivery);
    if (!delivery.settled) delivery.update(true);
    return { entry, outcome };
  }

  /** Whether `entry` was sent and is still unsettled. */
  isInflight(entry: PublishEntry): boolean {
    for (const e of this.inflight.values()) if (e === entry) return true;
    return false;
  }

  /** The oldest publish in flight (rhea frees its session buffer only from that end). */
  oldestInflight(): PublishEntry | undefined {
    return this.inflight.values().next().value;
  }

  /** The link is gone: unsettled deliveries go back to the front of the queue, to be resent. */
  requeueInflight(): void {
    if (this.inflight.size === 0) return;
    const resend = [...this.inflight.values()].filter((e) => !e.done);
    for (const entry of resend) entry.lastOutcome = "connection-lost";
    this.inflight.clear();
    const waiting = this.waiting().filter((e) => !e.done);
    this.queue = [...resend, ...waiting].sort((a, b) => a.seq - b.seq);
    this.head = 0;
  }

  clear(): void {
    this.queue = [];
    this.head = 0;
    this.inflight.clear();
  }
}
