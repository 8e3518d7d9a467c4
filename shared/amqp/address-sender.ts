/**
 * One sender link (and session) for one address and delivery mode. It keeps its own queue
 * of publishes waiting for credit and the map of deliveries in flight, so many deliveries
 * are pipelined per link (bounded by the router's credit), and whatever was unsettled when
 * a connection died is resent, with the same bytes, on the next one. The pool
 * (sender-pool.ts) caches senders while in use.
 */
import { backoffDelay, DeadlineTimer } from "./backoff.ts";
import type { MeshConnection } from "./connection.ts";
import {
  ClientClosedError,
  type ConnectionFailedError,
  conditionText,
  isTransientLinkCondition,
  LinkRefusedError,
  PublishRejectedError,
} from "./errors.ts";
import { type DetachCause, LinkLifecycle } from "./link-lifecycle.ts";
import { NoConsumerWatch } from "./no-consumer-watch.ts";
import { readOutcome } from "./outcome.ts";
import {
  backPressureError,
  type DeliveryMode,
  noConsumerError,
  noRouteError,
  type PublishEntry,
  type Refusal,
  timeoutError,
} from "./publish-entry.ts";
import {
  type Connection,
  creditOf,
  type Delivery,
  deliveryCountOf,
  type EventContext,
  type Sender,
  type Session,
} from "./rhea.ts";

/** Backoff between retries of a released/modified message (bounded by its deadline). */
const RETRY_INITIAL_MS = 20;
const RETRY_MAX_MS = 1_000;
/** Wait before re-attaching a link the router detached without an error. */
const REATTACH_DELAY_MS = 200;
/**
 * Backoff between attaches the router refused for now (`qd:no-route-to-dest`...), while
 * publishes wait: quick at first (a broker connection coming up), capped so a long outage
 * costs the router one attach every couple of seconds per address.
 */
const ROUTE_RETRY_INITIAL_MS = 100;
const ROUTE_RETRY_MAX_MS = 2_000;

export class AddressSender extends LinkLifecycle<Sender> {
  readonly address: string;
  readonly mode: DeliveryMode;
  private readonly onRemove: (sender: AddressSender) => void;
  /** The router answered the current link's attach: publishes may go out with credit. */
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
  private readonly noConsumer: NoConsumerWatch;
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
    super(connection);
    this.address = address;
    this.mode = mode;
    this.onRemove = hooks.onRemove;
    this.onIdle = hooks.onIdle;
    this.idleTimeoutMs = hooks.idleTimeoutMs;
    this.deadlines = new DeadlineTimer((entry) => this.expire(entry));
    this.noConsumer = new NoConsumerWatch({
      isReady: () => this.ready,
      isClosed: () => this.closed,
      waiting: () => this.queue.slice(this.queueHead),
      giveUp: (entry, creditlessMs) =>
        this.finish(entry, noConsumerError(this.route, entry, creditlessMs)),
    });
    connection.register(this);
  }

  /** Where publishes go, for their errors. */
  private get route(): { address: string; url: string | undefined } {
    return { address: this.address, url: this.url };
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
    if (entry.noConsumerWaitMs !== undefined && !entry.done) this.noConsumer.queued(entry);
  }

  /** Withdraws a publish its caller gave up on: settled with `error`, never sent or resent. */
  cancel(entry: PublishEntry, error: Error): void {
    if (entry.done) return;
    this.finish(entry, error);
    // Sent and unsettled: the router may still have it; rhea frees the slot when it settles.
  }

  protected get attachable(): boolean {
    return !this.closed;
  }

  protected openLink(connection: Connection): { session: Session; link: Sender } {
    const session = connection.create_session();
    session.begin();
    const link = session.attach_sender({
      target: { address: this.address },
      snd_settle_mode: this.mode === "at-most-once" ? 1 : 0,
      autosettle: true,
      treat_modified_as_released: false,
    });
    this.submitted = 0;
    return { session, link };
  }

  protected opened(link: Sender): void {
    this.ready = true;
    this.everOpened = true;
    if (creditOf(link) <= 0) this.noConsumer.creditless();
    this.pump();
  }

  protected listen(link: Sender): void {
    link.on("sendable", () => {
      if (!this.isCurrent(link)) return;
      // Credit means the address is routed now, and a consumer of it reachable.
      this.refusal = undefined;
      this.noConsumer.credited();
      this.pump();
    });
    // The router drains a link whose address has no path (qdrouterd transfer.c): what is
    // queued goes out first, then the remaining credit is given back, as AMQP asks.
    link.on("sender_draining", () => {
      if (!this.isCurrent(link)) return;
      this.pump();
      if (this.queueHead >= this.queue.length) link.set_drained(true);
      this.noConsumer.creditless();
    });
    const onOutcome = (ctx: EventContext) => {
      if (this.isCurrent(link) && ctx.delivery) this.settled(ctx.delivery);
    };
    for (const event of ["accepted", "rejected", "released", "modified", "settled"]) {
      link.on(event, onOutcome);
    }
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
      this.finish(entry, timeoutError(this.route, entry));
      return;
    }
    entry.retryTimer = setTimeout(() => {
      entry.retryTimer = undefined;
      if (entry.done) return;
      this.queue.push(entry);
      this.pump();
      if (entry.noConsumerWaitMs !== undefined && !entry.done) this.noConsumer.arm();
    }, delay);
  }

  private expire(entry: PublishEntry): void {
    if (entry.done) return;
    const sentAndUnsettled = [...this.inflight.values()].includes(entry);
    if (entry.attempts === 0) {
      // Never sent, and the router's last word on our attach was "no route for now".
      const refusal = this.ready ? undefined : this.refusal;
      if (refusal) this.finish(entry, noRouteError(this.route, entry, refusal));
      else if (this.ready && this.noConsumer.since !== undefined)
        this.finish(entry, noConsumerError(this.route, entry, this.noConsumer.creditlessMs));
      else
        this.finish(
          entry,
          backPressureError(this.route, entry, this.ready ? "no-credit" : "not-connected"),
        );
      return;
    }
    // lastOutcome stays the router's last answer; "unsettled" only when none ever came.
    this.finish(entry, timeoutError(this.route, entry));
    if (sentAndUnsettled) this.pump();
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
    this.forgetLink();
    this.ready = false;
    this.noConsumer.credited();
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
  protected detached(_link: Sender, { condition, description }: DetachCause): void {
    const session = this.session;
    this.dropLink();
    session?.close();
    if (this.closed) return;
    if (condition === undefined && this.everOpened) {
      this.reattachLater(REATTACH_DELAY_MS, () => this.reattachIfWaited());
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
    this.reattachLater(delay, () => this.reattachIfWaited());
  }

  /** Every publish that waited for a route has given up: nothing to attach for. */
  private reattachIfWaited(): void {
    if (this.refusal && this.pending === 0) this.retire();
    else this.connection.reattach(this);
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
