/**
 * One sender link (and session) for one address and delivery mode. It keeps its own queue
 * of publishes waiting for credit and the map of deliveries in flight, so many deliveries
 * are pipelined per link (bounded by the router's credit), and whatever was unsettled when
 * a connection died is resent, with the same bytes, on the next one. The pool
 * (sender-pool.ts) caches senders while in use.
 */
import type { MeshConnection } from "./connection.ts";
import {
  ClientClosedError,
  type ConnectionFailedError,
  conditionText,
  isTransientLinkCondition,
} from "./errors.ts";
import { IdleClock } from "./idle-clock.ts";
import { type DetachCause, LinkLifecycle, Waiters } from "./link-lifecycle.ts";
import { NoConsumerWatch } from "./no-consumer-watch.ts";
import { OutgoingQueue } from "./outgoing-queue.ts";
import {
  type DeliveryMode,
  expiredError,
  noConsumerError,
  type PublishEntry,
  retryDelay,
  settledAs,
  timeoutError,
} from "./publish-entry.ts";
import {
  type Connection,
  creditOf,
  type Delivery,
  type EventContext,
  type Sender,
  type Session,
} from "./rhea.ts";
import { RouteRefusals } from "./route-refusals.ts";

/** Wait before re-attaching a link the router detached without an error. */
const REATTACH_DELAY_MS = 200;

export class AddressSender extends LinkLifecycle<Sender> {
  readonly address: string;
  readonly mode: DeliveryMode;
  private readonly onRemove: (sender: AddressSender) => void;
  /** The router answered the current link's attach: publishes may go out with credit. */
  private ready = false;
  private everOpened = false;
  private readonly outgoing = new OutgoingQueue((entry) => this.expire(entry));
  /** Set while the router refuses our attach for now; cleared once a link gets credit. */
  private readonly refusals = new RouteRefusals();
  private readonly noConsumer: NoConsumerWatch;
  private closed = false;
  /** close() waiting for the last pending publish. */
  private readonly drained = new Waiters();
  private readonly onIdle: (sender: AddressSender) => void;
  private readonly idleClock: IdleClock;

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
    this.idleClock = new IdleClock(hooks.idleTimeoutMs, () =>
      this.retireIdle(`idle for ${hooks.idleTimeoutMs} ms`),
    );
    this.noConsumer = new NoConsumerWatch({
      isReady: () => this.ready,
      isClosed: () => this.closed,
      waiting: () => this.outgoing.waiting(),
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
    return this.outgoing.pending;
  }

  /** Retired or closed: the pool gives a new sender for its address. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** No publish pending: the pool may close it. */
  get isIdle(): boolean {
    return this.outgoing.pending === 0;
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
    this.idleClock.busy();
    this.outgoing.add(entry);
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
    this.outgoing.newLink();
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
      this.refusals.clear();
      this.noConsumer.credited();
      this.pump();
    });
    // The router drains a link whose address has no path (qdrouterd transfer.c): what is
    // queued goes out first, then the remaining credit is given back, as AMQP asks.
    link.on("sender_draining", () => {
      if (!this.isCurrent(link)) return;
      this.pump();
      if (!this.outgoing.hasWaiting) link.set_drained(true);
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
    this.refusals.clear();
    this.forgetLink();
    this.linkGone();
  }

  connectionFailed(error: ConnectionFailedError): void {
    this.failAll(() => error);
  }

  /** Waits (bounded) for pending publishes, fails what remains, then detaches. */
  async close(graceMs: number): Promise<void> {
    if (this.pending > 0 && this.connection.state !== "idle") {
      await this.drained.waitAtMost(graceMs);
    }
    this.closed = true;
    this.idleClock.stop();
    this.failAll(
      () =>
        new ClientClosedError(`publish to "${this.address}" cut short by close()`, {
          address: this.address,
          url: this.url,
        }),
    );
    this.linkGone();
    this.forgetLink().link?.close();
    this.leave();
  }

  /** Sends queued publishes while the link has credit (counting those rhea still holds). */
  private pump(): void {
    const link = this.link;
    if (!link || !this.ready) return;
    const presettled = this.mode === "at-most-once";
    if (!this.outgoing.send(link, presettled, (entry) => this.finish(entry))) {
      this.recycleIfStuck();
    }
  }

  /**
   * rhea frees its session buffer only from the oldest delivery. If the router never
   * settles that one and its publish already gave up, the link would stall forever: move
   * the still-unsettled rest to a fresh link and session (they are resent; at-least-once).
   */
  private recycleIfStuck(): void {
    if (!this.outgoing.oldestInflight()?.done) return;
    this.linkGone();
    this.closeLink();
    this.connection.reattach(this);
  }

  private settled(delivery: Delivery): void {
    const landed = this.outgoing.landed(delivery);
    if (!landed || landed.entry.done) return;
    const { entry, outcome } = landed;
    const done = settledAs(this.route, entry, outcome);
    if (done) this.finish(entry, done.error);
    else this.retryLater(entry);
  }

  /** Released/modified: send again (same bytes, same message id) after a bounded backoff. */
  private retryLater(entry: PublishEntry): void {
    const delay = retryDelay(entry);
    if (Date.now() + delay >= entry.deadlineAt) {
      this.finish(entry, timeoutError(this.route, entry));
      return;
    }
    entry.retryTimer = setTimeout(() => {
      entry.retryTimer = undefined;
      if (entry.done) return;
      this.outgoing.push(entry);
      this.pump();
      if (entry.noConsumerWaitMs !== undefined && !entry.done) this.noConsumer.arm();
    }, delay);
  }

  private expire(entry: PublishEntry): void {
    if (entry.done) return;
    const sentAndUnsettled = this.outgoing.isInflight(entry);
    const creditless =
      this.noConsumer.since === undefined ? undefined : this.noConsumer.creditlessMs;
    const refusal = this.refusals.current;
    this.finish(
      entry,
      expiredError(this.route, entry, { ready: this.ready, refusal, creditlessMs: creditless }),
    );
    // lastOutcome stays the router's last answer; "unsettled" only when none ever came.
    if (sentAndUnsettled) this.pump();
  }

  private finish(entry: PublishEntry, error?: Error): void {
    if (entry.done || !this.outgoing.end(entry, error)) return;
    this.drained.resolve();
    // The last publish waiting for a route gave up: stop attaching for nobody. The next
    // publish gets a fresh sender that attaches at once.
    if (this.refusals.active && !this.ready && !this.closed) {
      this.retire();
      return;
    }
    if (this.closed) return;
    this.idleClock.idle();
    this.onIdle(this);
  }

  /** The link is gone or going: unsettled deliveries go back to the front of the queue. */
  private linkGone(): void {
    this.ready = false;
    this.noConsumer.credited();
    this.outgoing.requeueInflight();
  }

  /**
   * The router detached the link (or ended its session). Without an error, or with a
   * transient condition (no route to a link route's broker yet...), we attach again;
   * any other condition refuses the address: pending publishes fail with LinkRefusedError.
   */
  protected detached(link: Sender, cause: DetachCause): void {
    this.linkGone();
    this.closeLink();
    if (this.closed) return;
    const { condition, description } = cause;
    if (condition === undefined && this.everOpened) {
      this.reattachLater(REATTACH_DELAY_MS, () => this.reattachIfWaited());
      return;
    }
    if (condition !== undefined && isTransientLinkCondition(condition)) {
      this.refusedForNow(condition, description);
      return;
    }
    const error = this.refusedError(this.address, link, cause);
    this.refusals.clear();
    this.failAll(() => error);
    this.retire();
  }

  /**
   * A transient refusal: attach again with backoff while publishes wait (each fails with
   * NoRouteError at its deadline if no attach succeeds). With nothing waiting the sender
   * leaves the pool; the next publish attaches afresh.
   */
  private refusedForNow(condition: string, description: string | undefined): void {
    const delay = this.refusals.refused(condition, description);
    const why = conditionText({ condition, description });
    if (this.pending === 0) {
      this.connection.log(`amqp: sender to "${this.address}" refused by ${this.url}: ${why}`);
      this.retire();
      return;
    }
    this.connection.log(
      `amqp: sender to "${this.address}" refused by ${this.url}: ${why}; attaching again in ${delay} ms (refusal ${this.refusals.current?.attaches})`,
    );
    this.reattachLater(delay, () => this.reattachIfWaited());
  }

  /** Every publish that waited for a route has given up: nothing to attach for. */
  private reattachIfWaited(): void {
    if (this.refusals.active && this.pending === 0) this.retire();
    else this.connection.reattach(this);
  }

  /** Leaves the pool for good (the next publish to the address gets a new sender). */
  private retire(): void {
    this.closed = true;
    this.idleClock.stop();
    this.linkGone();
    // Never ends a session whose begin the router has not answered yet (a re-attach in
    // flight): rhea would drop the whole connection (link-lifecycle.ts).
    this.closeLink();
    this.leave();
    this.onRemove(this);
  }

  private failAll(makeError: () => Error): void {
    // The deadline set holds every unfinished publish: queued, in flight or retrying.
    for (const entry of this.outgoing.unfinished()) this.finish(entry, makeError());
    this.outgoing.clear();
  }
}
