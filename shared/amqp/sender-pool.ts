/**
 * One sender link (and session) per address and delivery mode, cached while in use: a
 * sender idle for `senders.idleTimeoutMs` is closed, and beyond `senders.max` the least
 * recently used idle ones are. Each keeps its own queue of publishes waiting for credit and
 * the map of deliveries in flight, so many deliveries are pipelined per link (bounded by the
 * router's credit) and whatever was unsettled when a connection died is resent, with the
 * same bytes, on the next one.
 */
import { backoffDelay, DeadlineTimer } from "./backoff.ts";
import type { ManagedLink, MeshConnection } from "./connection.ts";
import {
  BackPressureError,
  ClientClosedError,
  type ConnectionFailedError,
  conditionText,
  isTransientLinkCondition,
  LinkRefusedError,
  NoConsumerError,
  NoRouteError,
  PublishRejectedError,
  PublishTimeoutError,
} from "./errors.ts";
import { readOutcome } from "./outcome.ts";
import {
  amqpErrorFields,
  type Connection,
  creditOf,
  type Delivery,
  deliveryCountOf,
  type Sender,
  type Session,
} from "./rhea.ts";

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

/** Backoff between retries of a released/modified message (bounded by its deadline). */
const RETRY_INITIAL_MS = 20;
const RETRY_MAX_MS = 1_000;
/** Hint for callers (ingress Retry-After) when the mesh pushes back. */
const RETRY_AFTER_MS = 1_000;
/** Wait before re-attaching a link the router detached without an error. */
const REATTACH_DELAY_MS = 200;
/**
 * Backoff between attaches the router refused for now (`qd:no-route-to-dest`...), while
 * publishes wait: quick at first (a broker connection coming up), capped so a long outage
 * costs the router one attach every couple of seconds per address.
 */
const ROUTE_RETRY_INITIAL_MS = 100;
const ROUTE_RETRY_MAX_MS = 2_000;

/** The router's latest transient refusal of this sender's attach. */
interface Refusal {
  condition: string;
  description: string | undefined;
  /** Refused attaches in a row (reset once a link gets credit). */
  attaches: number;
}

export class AddressSender implements ManagedLink {
  readonly address: string;
  readonly mode: DeliveryMode;
  private readonly connection: MeshConnection;
  private readonly onRemove: (sender: AddressSender) => void;
  private link: Sender | undefined;
  private session: Session | undefined;
  private url: string | undefined;
  private ready = false;
  private everOpened = false;
  /** Publishes waiting for credit, FIFO; done entries are skipped lazily. */
  private queue: PublishEntry[] = [];
  private queueHead = 0;
  private readonly inflight = new Map<Delivery, PublishEntry>();
  /** Deliveries handed to the current rhea link (rhea counts those it transmitted). */
  private submitted = 0;
  private readonly deadlines: DeadlineTimer<PublishEntry>;
  /** Set while the router refuses our attach for now; cleared once a link gets credit. */
  private refusal: Refusal | undefined;
  /**
   * Since when the open link has had no credit from the router: set when it opens without
   * credit or is drained, cleared by credit. Routers credit a producer only while a consumer
   * of the address is reachable, so this is "no consumer", not a slow one (credit used up).
   */
  private creditlessSince: number | undefined;
  private noConsumerTimer: NodeJS.Timeout | undefined;
  private noConsumerAt = Number.POSITIVE_INFINITY;
  private closed = false;
  private seq = 0;
  /** close() waiting for the last pending publish. */
  private idleWaiters: Array<() => void> = [];
  private readonly idleTimeoutMs: number;
  private readonly onIdle: (sender: AddressSender) => void;
  /** When the last pending publish finished; 0 while publishes are pending. */
  private idleSince = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    address: string,
    mode: DeliveryMode,
    connection: MeshConnection,
    hooks: {
      onRemove: (sender: AddressSender) => void;
      onIdle: (sender: AddressSender) => void;
      idleTimeoutMs: number;
    },
  ) {
    this.address = address;
    this.mode = mode;
    this.connection = connection;
    this.onRemove = hooks.onRemove;
    this.onIdle = hooks.onIdle;
    this.idleTimeoutMs = hooks.idleTimeoutMs;
    this.deadlines = new DeadlineTimer((entry) => this.expire(entry));
    connection.register(this);
  }

  /** Publishes waiting, retrying or in flight. */
  get pending(): number {
    return this.deadlines.size;
  }

  /** Retired or closed: the pool gives a new sender for its address. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** No publish pending: the pool may close it. */
  get isIdle(): boolean {
    return this.deadlines.size === 0;
  }

  /** Closed by the pool: idle too long, or least recently used beyond the pool's bound. */
  retireIdle(why: string): void {
    if (this.closed || !this.isIdle) return;
    this.connection.log(`amqp: sender to "${this.address}" closed: ${why}`);
    this.retire();
  }

  publish(entry: PublishEntry): void {
    if (this.closed) {
      entry.reject(
        new ClientClosedError(`publish to "${this.address}" after close`, {
          address: this.address,
        }),
      );
      return;
    }
    entry.seq = this.seq++;
    this.idleSince = 0;
    this.deadlines.add(entry);
    this.queue.push(entry);
    if (this.ready) this.pump();
    else this.connection.ensureConnecting();
    if (entry.noConsumerWaitMs !== undefined && !entry.done) this.queuedWhileCreditless(entry);
  }

  /** A publish joins the queue: the armed check stands unless this one is due sooner. */
  private queuedWhileCreditless(entry: PublishEntry): void {
    const since = this.creditlessSince;
    if (!this.ready || since === undefined) return;
    const due = this.noConsumerDue(entry, since);
    if (due === undefined || (this.noConsumerTimer !== undefined && due >= this.noConsumerAt))
      return;
    this.armNoConsumerCheck();
  }

  /** Withdraws a publish its caller gave up on: settled with `error`, never sent or resent. */
  cancel(entry: PublishEntry, error: Error): void {
    if (entry.done) return;
    this.finish(entry, error);
    // Sent and unsettled: the router may still have it; rhea frees the slot when it settles.
  }

  attach(connection: Connection, url: string): void {
    if (this.closed) return;
    this.url = url;
    const session = connection.create_session();
    this.session = session;
    session.begin();
    const link = session.attach_sender({
      target: { address: this.address },
      snd_settle_mode: this.mode === "at-most-once" ? 1 : 0,
      autosettle: true,
      treat_modified_as_released: false,
    });
    this.link = link;
    this.submitted = 0;
    link.on("sender_open", () => {
      if (this.link !== link) return;
      this.ready = true;
      this.everOpened = true;
      if (creditOf(link) <= 0) this.creditless();
      this.pump();
    });
    link.on("sendable", () => {
      if (this.link !== link) return;
      // Credit means the address is routed now, and a consumer of it reachable.
      this.refusal = undefined;
      this.credited();
      this.pump();
    });
    // The router drains a link whose address has no path (qdrouterd transfer.c): what is
    // queued goes out first, then the remaining credit is given back, as AMQP asks.
    link.on("sender_draining", () => {
      if (this.link !== link) return;
      this.pump();
      if (this.queueHead >= this.queue.length) link.set_drained(true);
      this.creditless();
    });
    const onOutcome = (ctx: { delivery?: Delivery }) => {
      if (this.link === link && ctx.delivery) this.settled(ctx.delivery);
    };
    link.on("accepted", onOutcome);
    link.on("rejected", onOutcome);
    link.on("released", onOutcome);
    link.on("modified", onOutcome);
    link.on("settled", onOutcome);
    link.on("sender_error", () => {});
    link.on("sender_close", () => {
      if (this.link === link) this.detached(amqpErrorFields(link.error));
    });
    // Some brokers end the whole session instead of detaching the link (RabbitMQ 3.x does
    // for an unknown exchange): same meaning for our one-link session.
    session.on("session_error", () => {});
    session.on("session_close", () => {
      if (this.link === link) this.detached(amqpErrorFields(session.error));
    });
  }

  connectionLost(): void {
    // Registered links attach again when the next connection opens; a refusal seen on this
    // connection says nothing about the next one.
    this.refusal = undefined;
    this.dropLink();
  }

  connectionFailed(error: ConnectionFailedError): void {
    this.failAll(() => error);
  }

  /** Waits (bounded) for pending publishes, fails what remains, then detaches. */
  async close(graceMs: number): Promise<void> {
    if (this.pending > 0 && this.connection.state !== "idle") {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.closed = true;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.failAll(
      () =>
        new ClientClosedError(`publish to "${this.address}" cut short by close()`, {
          address: this.address,
          url: this.url,
        }),
    );
    this.connection.cancelReattach(this);
    const link = this.link;
    this.dropLink();
    link?.close();
    this.connection.unregister(this);
  }

  /** Sends queued publishes while the link has credit (counting those rhea still holds). */
  private pump(): void {
    const link = this.link;
    if (!link || !this.ready) return;
    while (this.queueHead < this.queue.length) {
      const heldByRhea = this.submitted - deliveryCountOf(link);
      if (creditOf(link) - heldByRhea <= 0) break;
      if (!link.sendable()) {
        this.recycleIfStuck();
        break;
      }
      const entry = this.queue[this.queueHead++] as PublishEntry;
      if (entry.done) continue;
      const delivery = link.send(entry.payload, undefined, 0);
      this.submitted++;
      entry.attempts++;
      if (this.mode === "at-most-once") this.finish(entry);
      else this.inflight.set(delivery, entry);
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  /**
   * rhea frees its session buffer only from the oldest delivery. If the router never
   * settles that one and its publish already gave up, the link would stall forever: move
   * the still-unsettled rest to a fresh link and session (they are resent; at-least-once).
   */
  private recycleIfStuck(): void {
    const oldest = this.inflight.values().next();
    if (oldest.done || !oldest.value.done) return;
    const { link, session } = this;
    this.dropLink();
    link?.close();
    session?.close();
    this.connection.reattach(this);
  }

  private settled(delivery: Delivery): void {
    const entry = this.inflight.get(delivery);
    if (!entry) return;
    const outcome = readOutcome(delivery.remote_state);
    // No terminal outcome yet (nothing, or a non-terminal state): wait for one.
    if (outcome === undefined && !delivery.remote_settled) return;
    this.inflight.delete(delivery);
    if (!delivery.settled) delivery.update(true);
    if (entry.done) return;
    if (outcome === undefined) {
      // Settled without an outcome: the router forgot the delivery without saying it took
      // it. Not an acceptance; resent like a released one until the deadline.
      entry.lastOutcome = "settled-without-outcome";
      this.retryLater(entry);
      return;
    }
    switch (outcome.kind) {
      case "accepted":
        this.finish(entry);
        return;
      case "rejected":
        this.finish(
          entry,
          new PublishRejectedError({
            address: this.address,
            url: this.url,
            messageId: entry.messageId,
            condition: outcome.error?.condition,
            description: outcome.error?.description,
          }),
        );
        return;
      case "released":
      case "modified":
        entry.lastOutcome = outcome.kind;
        this.retryLater(entry);
        return;
    }
  }

  /** Released/modified: send again (same bytes, same message id) after a bounded backoff. */
  private retryLater(entry: PublishEntry): void {
    const delay = backoffDelay(entry.attempts - 1, RETRY_INITIAL_MS, RETRY_MAX_MS);
    if (Date.now() + delay >= entry.deadlineAt) {
      this.finish(entry, this.timeoutError(entry));
      return;
    }
    entry.retryTimer = setTimeout(() => {
      entry.retryTimer = undefined;
      if (entry.done) return;
      this.queue.push(entry);
      this.pump();
      if (entry.noConsumerWaitMs !== undefined && !entry.done) this.armNoConsumerCheck();
    }, delay);
  }

  private expire(entry: PublishEntry): void {
    if (entry.done) return;
    const sentAndUnsettled = [...this.inflight.values()].includes(entry);
    if (entry.attempts === 0) {
      // Never sent, and the router's last word on our attach was "no route for now".
      const refusal = this.ready ? undefined : this.refusal;
      if (refusal) {
        this.finish(
          entry,
          new NoRouteError({
            address: this.address,
            url: this.url,
            messageId: entry.messageId,
            deadlineMs: entry.deadlineMs,
            condition: refusal.condition,
            description: refusal.description,
            attaches: refusal.attaches,
            retryAfterMs: RETRY_AFTER_MS,
          }),
        );
        return;
      }
      if (this.ready && this.creditlessSince !== undefined) {
        this.finish(entry, this.noConsumerError(entry));
        return;
      }
      this.finish(
        entry,
        new BackPressureError({
          address: this.address,
          url: this.url,
          messageId: entry.messageId,
          deadlineMs: entry.deadlineMs,
          retryAfterMs: RETRY_AFTER_MS,
          reason: this.ready ? "no-credit" : "not-connected",
        }),
      );
      return;
    }
    // lastOutcome stays the router's last answer; "unsettled" only when none ever came.
    this.finish(entry, this.timeoutError(entry));
    if (sentAndUnsettled) this.pump();
  }

  private noConsumerError(entry: PublishEntry): NoConsumerError {
    return new NoConsumerError({
      address: this.address,
      url: this.url,
      messageId: entry.messageId,
      creditlessMs: Date.now() - (this.creditlessSince ?? Date.now()),
      retryAfterMs: RETRY_AFTER_MS,
    });
  }

  /** The open link has no credit now, and no consumer until credit comes. */
  private creditless(): void {
    this.creditlessSince ??= Date.now();
    this.armNoConsumerCheck();
  }

  private credited(): void {
    this.creditlessSince = undefined;
    this.disarmNoConsumerCheck();
  }

  /**
   * When a queued publish may give up for want of a consumer: its wait counted from when it
   * was made or from when the link went without credit, whichever is later. Only publishes
   * never sent, or released (the router did not deliver them), are waiting for credit here.
   */
  private noConsumerDue(entry: PublishEntry, since: number): number | undefined {
    if (entry.done || entry.noConsumerWaitMs === undefined) return undefined;
    if (entry.attempts > 0 && entry.lastOutcome !== "released") return undefined;
    return Math.max(entry.startedAt, since) + entry.noConsumerWaitMs;
  }

  /** (Re)arms one timer for the earliest queued publish that may give up for want of a consumer. */
  private armNoConsumerCheck(): void {
    this.disarmNoConsumerCheck();
    const since = this.creditlessSince;
    if (!this.ready || since === undefined) return;
    let next = Number.POSITIVE_INFINITY;
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const due = this.noConsumerDue(this.queue[i] as PublishEntry, since);
      if (due !== undefined && due < next) next = due;
    }
    if (next === Number.POSITIVE_INFINITY) return;
    this.noConsumerAt = next;
    this.noConsumerTimer = setTimeout(
      () => {
        this.noConsumerTimer = undefined;
        this.giveUpForWantOfConsumer();
      },
      Math.max(0, next - Date.now()),
    );
  }

  private disarmNoConsumerCheck(): void {
    if (this.noConsumerTimer !== undefined) clearTimeout(this.noConsumerTimer);
    this.noConsumerTimer = undefined;
    this.noConsumerAt = Number.POSITIVE_INFINITY;
  }

  private giveUpForWantOfConsumer(): void {
    const since = this.creditlessSince;
    if (!this.ready || since === undefined) return;
    const now = Date.now();
    const due: PublishEntry[] = [];
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const entry = this.queue[i] as PublishEntry;
      const at = this.noConsumerDue(entry, since);
      if (at !== undefined && at <= now) due.push(entry);
    }
    for (const entry of due) this.finish(entry, this.noConsumerError(entry));
    if (!this.closed) this.armNoConsumerCheck();
  }

  private timeoutError(entry: PublishEntry): PublishTimeoutError {
    return new PublishTimeoutError({
      address: this.address,
      url: this.url,
      messageId: entry.messageId,
      deadlineMs: entry.deadlineMs,
      lastOutcome: entry.lastOutcome ?? "unsettled",
      attempts: entry.attempts,
      retryAfterMs: RETRY_AFTER_MS,
    });
  }

  private finish(entry: PublishEntry, error?: Error): void {
    if (entry.done) return;
    entry.done = true;
    if (entry.retryTimer) clearTimeout(entry.retryTimer);
    this.deadlines.delete(entry);
    if (error) entry.reject(error);
    else entry.resolve();
    if (this.deadlines.size > 0) return;
    for (const done of this.idleWaiters.splice(0)) done();
    // The last publish waiting for a route gave up: stop attaching for nobody. The next
    // publish gets a fresh sender that attaches at once.
    if (this.refusal && !this.ready && !this.closed) {
      this.retire();
      return;
    }
    if (this.closed) return;
    this.idleSince = Date.now();
    // One timer per idle spell, not per publish: it re-arms for whatever is left.
    if (this.idleTimer === undefined) this.armIdleTimer(this.idleTimeoutMs);
    this.onIdle(this);
  }

  private armIdleTimer(delayMs: number): void {
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.closed || this.idleSince === 0) return;
      const idleFor = Date.now() - this.idleSince;
      if (idleFor >= this.idleTimeoutMs) {
        this.retireIdle(`idle for ${this.idleTimeoutMs} ms`);
      } else {
        this.armIdleTimer(this.idleTimeoutMs - idleFor);
      }
    }, delayMs);
    // An idle sender's timer must not keep the process alive by itself.
    this.idleTimer.unref();
  }

  /** Forget the rhea link; unsettled deliveries go back to the front of the queue. */
  private dropLink(): void {
    const link = this.link;
    this.link = undefined;
    this.ready = false;
    this.creditlessSince = undefined;
    this.disarmNoConsumerCheck();
    if (link) link.removeAllListeners();
    if (this.inflight.size === 0) return;
    const resend = [...this.inflight.values()].filter((e) => !e.done);
    for (const entry of resend) entry.lastOutcome = "connection-lost";
    this.inflight.clear();
    const waiting = this.queue.slice(this.queueHead).filter((e) => !e.done);
    this.queue = [...resend, ...waiting].sort((a, b) => a.seq - b.seq);
    this.queueHead = 0;
  }

  /**
   * The router detached the link (or ended its session). Without an error, or with a
   * transient condition (no route to a link route's broker yet...), we attach again;
   * any other condition refuses the address: pending publishes fail with LinkRefusedError.
   */
  private detached(cause: {
    condition: string | undefined;
    description: string | undefined;
  }): void {
    const { condition, description } = cause;
    const session = this.session;
    this.dropLink();
    session?.close();
    if (this.closed) return;
    if (condition === undefined && this.everOpened) {
      this.reattachLater(REATTACH_DELAY_MS);
      return;
    }
    if (condition !== undefined && isTransientLinkCondition(condition)) {
      this.refusedForNow(condition, description);
      return;
    }
    const error = new LinkRefusedError({
      address: this.address,
      url: this.url,
      role: "sender",
      condition,
      description,
    });
    this.refusal = undefined;
    this.failAll(() => error);
    this.retire();
  }

  /**
   * A transient refusal: attach again with backoff while publishes wait (each fails with
   * NoRouteError at its deadline if no attach succeeds). With nothing waiting the sender
   * leaves the pool; the next publish attaches afresh.
   */
  private refusedForNow(condition: string, description: string | undefined): void {
    const attaches = (this.refusal?.attaches ?? 0) + 1;
    this.refusal = { condition, description, attaches };
    const why = conditionText({ condition, description });
    if (this.pending === 0) {
      this.connection.log(`amqp: sender to "${this.address}" refused by ${this.url}: ${why}`);
      this.retire();
      return;
    }
    const delay = backoffDelay(attaches - 1, ROUTE_RETRY_INITIAL_MS, ROUTE_RETRY_MAX_MS);
    this.connection.log(
      `amqp: sender to "${this.address}" refused by ${this.url}: ${why}; attaching again in ${delay} ms (refusal ${attaches})`,
    );
    this.reattachLater(delay);
  }

  private reattachLater(delayMs: number): void {
    this.connection.reattachLater(this, delayMs, () => {
      if (this.closed) return;
      if (this.refusal && this.pending === 0) {
        // Every publish that waited for a route has given up: nothing to attach for.
        this.retire();
        return;
      }
      this.connection.reattach(this);
    });
  }

  /** Leaves the pool for good (the next publish to the address gets a new sender). */
  private retire(): void {
    this.closed = true;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const { link, session } = this;
    this.dropLink();
    link?.close();
    session?.close();
    this.connection.unregister(this);
    this.onRemove(this);
  }

  private failAll(makeError: () => Error): void {
    // The deadline set holds every unfinished publish: queued, in flight or retrying.
    for (const entry of this.deadlines.values()) this.finish(entry, makeError());
    this.queue = [];
    this.queueHead = 0;
    this.inflight.clear();
  }
}

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
