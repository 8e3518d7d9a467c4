/**
 * "No consumer" for a sender's link: since when the open link has had no credit from the
 * router (it opened without credit, or was drained), and one timer for the earliest queued
 * publish that may give up for want of a consumer (its `noConsumerWaitMs`). Routers credit
 * a producer only while a consumer of the address is reachable, so a creditless link means
 * no consumer, not a slow one (credit used up).
 */
import type { PublishEntry } from "./publish-entry.ts";

/** What the watch needs of its sender. */
export interface WatchedSender {
  /** Whether the link is open (the router answered its attach). */
  isReady(): boolean;
  isClosed(): boolean;
  /** Publishes queued for credit (done ones included; skipped here). */
  waiting(): PublishEntry[];
  /** `entry` waited long enough: fail it with NoConsumerError. */
  giveUp(entry: PublishEntry, creditlessMs: number): void;
}

/**
 * When a queued publish may give up for want of a consumer: its wait counted from when it
 * was made or from when the link went without credit, whichever is later. Only publishes
 * never sent, or released (the router did not deliver them), are waiting for credit here.
 */
function noConsumerDue(entry: PublishEntry, since: number): number | undefined {
  if (entry.done || entry.noConsumerWaitMs === undefined) return undefined;
  if (entry.attempts > 0 && entry.lastOutcome !== "released") return undefined;
  return Math.max(entry.startedAt, since) + entry.noConsumerWaitMs;
}

export class NoConsumerWatch {
  /** Since when the open link has had no credit; undefined while it has some (or is closed). */
  since: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private at = Number.POSITIVE_INFINITY;
  private readonly sender: WatchedSender;

  constructor(sender: WatchedSender) {
    this.sender = sender;
  }

  /** How long the link has been without credit (0 when it has some). */
  get creditlessMs(): number {
    return Date.now() - (this.since ?? Date.now());
  }

  /** The open link has no credit now, and no consumer until credit comes. */
  creditless(): void {
    this.since ??= Date.now();
    this.arm();
  }

  /** Credit came (or the link is gone): nobody gives up for want of a consumer. */
  credited(): void {
    this.since = undefined;
    this.disarm();
  }

  /** A publish joins the queue: the armed check stands unless this one is due sooner. */
  queued(entry: PublishEntry): void {
    const since = this.since;
    if (!this.sender.isReady() || since === undefined) return;
    const due = noConsumerDue(entry, since);
    if (due === undefined || (this.timer !== undefined && due >= this.at)) return;
    this.arm();
  }

  /** (Re)arms one timer for the earliest queued publish that may give up for want of a consumer. */
  arm(): void {
    this.disarm();
    const since = this.since;
    if (!this.sender.isReady() || since === undefined) return;
    let next = Number.POSITIVE_INFINITY;
    for (const entry of this.sender.waiting()) {
      const due = noConsumerDue(entry, since);
      if (due !== undefined && due < next) next = due;
    }
    if (next === Number.POSITIVE_INFINITY) return;
    this.at = next;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.fire();
      },
      Math.max(0, next - Date.now()),
    );
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Number.POSITIVE_INFINITY;
  }

  private fire(): void {
    const since = this.since;
    if (!this.sender.isReady() || since === undefined) return;
    const now = Date.now();
    const due = this.sender.waiting().filter((entry) => {
      const at = noConsumerDue(entry, since);
      return at !== undefined && at <= now;
    });
    for (const entry of due) this.sender.giveUp(entry, this.creditlessMs);
    if (!this.sender.isClosed()) this.arm();
  }
}
