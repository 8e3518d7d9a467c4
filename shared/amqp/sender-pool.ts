/**
 * The senders of one connection, one per address and delivery mode, cached while in use: a
 * sender idle for `senders.idleTimeoutMs` is closed, and beyond `senders.max` the least
 * recently used idle ones are. Each sender (address-sender.ts) queues and pipelines its
 * own publishes.
 */
import { AddressSender } from "./address-sender.ts";
import type { MeshConnection } from "./connection.ts";
import type { DeliveryMode } from "./publish-entry.ts";

export type { DeliveryMode, PublishEntry } from "./publish-entry.ts";
export { AddressSender };

/** How the pool bounds its senders (the config's `senders`). */
export interface SenderLimits {
  /** A sender without pending publishes for this long is closed. */
  idleTimeoutMs: number;
  /** At most this many senders; beyond it the least recently used idle ones are closed. */
  max: number;
}

/**
 * Senders per address and delivery mode, least recently used first (a Map keeps insertion
 * order; a use moves the sender to the end). Busy senders are never closed, so the count
 * exceeds `max` only while more addresses than that have publishes in flight.
 */
export class SenderPool {
  private readonly senders = new Map<string, AddressSender>();
  private readonly connection: MeshConnection;
  private readonly limits: SenderLimits;
  private evictionQueued = false;
  /** The sender the last get() gave (already the most recently used): the hot path's answer. */
  private last: AddressSender | undefined;

  constructor(connection: MeshConnection, limits: SenderLimits) {
    this.connection = connection;
    this.limits = limits;
  }

  /** Senders held (each one session and link). */
  get size(): number {
    return this.senders.size;
  }

  get(address: string, mode: DeliveryMode): AddressSender {
    const last = this.last;
    if (last !== undefined && last.address === address && last.mode === mode && !last.isClosed)
      return last;
    const key = `${mode}\u0000${address}`;
    let sender = this.senders.get(key);
    if (sender) {
      this.senders.delete(key);
      this.senders.set(key, sender);
      this.last = sender;
      return sender;
    }
    this.evictIdle(this.limits.max - 1);
    sender = new AddressSender(address, mode, this.connection, {
      idleTimeoutMs: this.limits.idleTimeoutMs,
      onRemove: (s) => {
        if (this.senders.get(key) === s) this.senders.delete(key);
      },
      onIdle: () => this.queueEviction(),
    });
    this.senders.set(key, sender);
    this.last = sender;
    return sender;
  }

  async close(graceMs: number): Promise<void> {
    const senders = [...this.senders.values()];
    this.senders.clear();
    this.last = undefined;
    await Promise.all(senders.map((s) => s.close(graceMs)));
  }

  /** Closes least recently used idle senders until at most `keep` remain (or none is idle). */
  private evictIdle(keep: number): void {
    if (this.senders.size <= keep) return;
    for (const [key, sender] of this.senders) {
      if (this.senders.size <= keep) return;
      if (!sender.isIdle) continue;
      this.senders.delete(key);
      sender.retireIdle(`more than ${this.limits.max} senders, least recently used`);
    }
  }

  /** A sender went idle while the pool was over its bound: evict once the current event is done. */
  private queueEviction(): void {
    if (this.evictionQueued || this.senders.size <= this.limits.max) return;
    this.evictionQueued = true;
    queueMicrotask(() => {
      this.evictionQueued = false;
      this.evictIdle(this.limits.max);
    });
  }
}
