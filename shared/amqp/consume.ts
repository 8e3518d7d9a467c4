/**
 * consume(): a receiver with an explicit credit window (credit-window.ts) whose handler's
 * outcome chooses each settlement (handle-delivery.ts). Its link lives the client's link
 * lifecycle: refused attaches go to onError and are retried with backoff; stop() drains,
 * lets running handlers finish and detaches.
 */
import type { MeshConnection } from "./connection.ts";
import {
  type ConsumeOptions,
  consumeOptionsSchema,
  type MessageHandler,
  type ParsedConsumeOptions,
} from "./consume-options.ts";
import { CreditWindow, type Settlement, settleDelivery } from "./credit-window.ts";
import { ClientClosedError, type ConnectionFailedError, describeThrown } from "./errors.ts";
import { type HandlerRun, handleDelivery, type Pending } from "./handle-delivery.ts";
import { graceMsSchema, parseOptions } from "./limits.ts";
import { AttachBackoff, type DetachCause, LinkLifecycle, Waiters } from "./link-lifecycle.ts";
import {
  attachedSource,
  beginReceiverSession,
  type Connection,
  creditOf,
  type EventContext,
  type Receiver,
  type Session,
} from "./rhea.ts";

export type {
  ConsumeOptions,
  DeliveryInfo,
  MessageHandler,
} from "./consume-options.ts";

const REATTACH_DELAY_MS = 500;
/** Backoff cap after a final refusal (unauthorized, not found...): it may be configured later. */
const REATTACH_MAX_DELAY_MS = 30_000;
/** Backoff cap after a transient refusal (no route to a link route's broker yet...). */
const REATTACH_TRANSIENT_MAX_DELAY_MS = 5_000;
/** A link open this long before its detach was working: its detach restarts the backoff. */
const STABLE_LINK_MS = 1_000;

export class Consumer extends LinkLifecycle<Receiver> {
  /** The channel, as the caller named it (and handlers see it in `info.address`). */
  readonly address: string;
  /** The address the link attaches to: the channel's, or where its consumers read it. */
  readonly source: string;
  private readonly concurrency: number;
  private readonly options: ParsedConsumeOptions;
  private readonly window: CreditWindow;
  /** What handling a delivery needs of this consumer. */
  private readonly run: HandlerRun;
  /** Refused attaches in a row (reset by a detach after the link had worked a while). */
  private readonly backoff = new AttachBackoff(REATTACH_DELAY_MS, REATTACH_MAX_DELAY_MS);
  /** When the router attached the current link with a source (0 until it does). */
  private openedAt = 0;
  private readonly waiting: Pending[] = [];
  private running = 0;
  private stopping = false;
  private stopped = false;
  private readonly handlersDone = new Waiters();
  private drainedWaiter: (() => void) | undefined;
  private closedWaiter: (() => void) | undefined;
  /** Set while the current link is attached with a source and has our credit. */
  private attached = false;
  private readonly readyWaiters = new Waiters();
  private stopPromise: Promise<void> | undefined;
  private readonly onStopped: ((consumer: Consumer) => void) | undefined;
  /** Settled deliveries by outcome, for observability and tests. */
  readonly stats = { accepted: 0, released: 0, modified: 0, rejected: 0 };

  constructor(
    connection: MeshConnection,
    address: string,
    handler: MessageHandler,
    options: ConsumeOptions = {},
    onStopped?: (consumer: Consumer) => void,
    source: string = address,
  ) {
    super(connection);
    this.onStopped = onStopped;
    this.address = address;
    this.source = source;
    this.options = parseOptions(consumeOptionsSchema, options, `consume options for "${address}"`);
    this.window = new CreditWindow(this.options.prefetch);
    this.concurrency = this.options.concurrency;
    this.run = {
      address,
      url: () => this.url,
      handler,
      validate: this.options.validate,
      settle: (pending, settlement) => this.settleGuarded(pending, settlement),
    };
    connection.register(this);
  }

  /**
   * Resolves once the router attached the link with a source and the consumer issued its
   * credit. Rejects with the LinkRefusedError of a refused attach (the consumer keeps
   * re-attaching: a later ready() waits for the next attach), with ConnectionFailedError when
   * the reconnect budget runs out, and with ClientClosedError once stopped.
   */
  ready(): Promise<void> {
    if (this.stopping) return Promise.reject(this.stoppedError("ready()"));
    if (this.attached && this.link?.is_open()) return Promise.resolve();
    const ready = this.readyWaiters.wait();
    // After the reconnect budget ran out nothing connects by itself: ready() starts over.
    if (this.link === undefined) this.connection.ensureConnecting();
    return ready;
  }

  protected get attachable(): boolean {
    return !this.stopping;
  }

  protected openLink(connection: Connection): { session: Session; link: Receiver } {
    const session = beginReceiverSession(connection);
    const link = session.attach_receiver({
      source: { address: this.source },
      credit_window: 0,
      autoaccept: false,
    });
    this.attached = false;
    this.window.newLink();
    return { session, link };
  }

  protected opened(link: Receiver): void {
    if (this.stopping) return;
    link.add_credit(this.window.prefetch);
    // AMQP 1.0 §2.6.3: a peer refusing the link answers the attach with a null source and
    // detaches with the reason (qdrouterd, skupper-router: CORE_link_detach). That detach
    // settles ready(); only an attach with a source is one.
    if (attachedSource(link) === undefined) return;
    this.openedAt = Date.now();
    this.attached = true;
    this.readyWaiters.resolve();
  }

  protected listen(link: Receiver): void {
    link.on("message", (ctx: EventContext) => {
      if (ctx.delivery && ctx.message)
        this.received({ delivery: ctx.delivery, link, raw: ctx.message });
    });
    link.on("receiver_drained", () => this.drainedWaiter?.());
  }

  protected detached(link: Receiver, cause: DetachCause): void {
    this.closedWaiter?.();
    if (!this.stopping) this.detachedByRouter(link, cause);
  }

  connectionLost(): void {
    // Still registered: the next connection attaches us (and cancels a pending re-attach).
    // Unsettled deliveries of the dead link go back to the router's queue; skip the waiting ones.
    this.forgetLink();
    this.attached = false;
    this.waiting.length = 0;
    // A stop() waiting on the dead link goes on at once (forgetLink() let its answer go).
    this.drainedWaiter?.();
    this.closedWaiter?.();
    this.notifyIdle();
  }

  connectionFailed(error: ConnectionFailedError): void {
    this.failReady(error);
    this.report(error);
  }

  /**
   * Graceful stop: drain credit (no new deliveries), release the ones not yet handed to the
   * handler, let running handlers finish and settle, then detach. Every call gets the same
   * promise: it settles once the first stop has drained and detached.
   */
  stop(handlerGraceMs = this.options.handlerGraceMs): Promise<void> {
    try {
      parseOptions(graceMsSchema, handlerGraceMs, "stop() handlerGraceMs");
    } catch (error) {
      return Promise.reject(error);
    }
    this.stopPromise ??= this.drainAndDetach(handlerGraceMs);
    return this.stopPromise;
  }

  private async drainAndDetach(handlerGraceMs: number): Promise<void> {
    this.stopping = true;
    this.failReady(this.stoppedError("ready()"));
    this.connection.cancelReattach(this);
    const timeoutMs = this.options.stopTimeoutMs;
    const link = this.link;
    // The router has not answered the attach yet: ending the session now, rhea would take
    // the late answer to its begin for a protocol error and drop the whole connection.
    await this.answer(timeoutMs);
    // Nothing to drain without credit (none issued yet, or all of it used): no answer comes.
    if (link?.is_open() && creditOf(link) > 0 && this.options.drainOnStop !== false) {
      await this.waitFor((done) => {
        this.drainedWaiter = done;
        link.drain_credit();
      }, timeoutMs);
    }
    for (const pending of this.waiting.splice(0)) this.settle(pending, { kind: "release" });
    if (this.running > 0) {
      // Unfinished handlers past the grace leave their deliveries unsettled: the router
      // redelivers them once the link is gone.
      await this.waitFor((done) => void this.handlersDone.wait().then(done), handlerGraceMs);
    }
    if (this.link === link && link?.is_open()) {
      await this.waitFor((done) => {
        this.closedWaiter = done;
        link.close();
      }, timeoutMs);
    }
    // Unanswered even now: closeLink() ends the session only once the router answers.
    if (this.link === link) this.closeLink();
    else link?.removeAllListeners();
    this.attached = false;
    this.stopped = true;
    this.leave();
    this.onStopped?.(this);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private waitFor(start: (done: () => void) => void, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      start(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private received(pending: Pending): void {
    if (pending.link === this.link) this.window.received(pending.delivery);
    if (this.stopping) {
      this.settle(pending, { kind: "release" });
      return;
    }
    this.waiting.push(pending);
    this.dispatch();
  }

  private dispatch(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const pending = this.waiting.shift() as Pending;
      this.running++;
      let result: Promise<void> | undefined;
      try {
        result = handleDelivery(pending, this.run);
      } catch (error) {
        // handleDelivery() guards the handler; this is a last resort so the slot is never lost.
        this.connection.log(`amqp: consumer of "${this.address}": ${describeThrown(error)}`);
        this.settleGuarded(pending, { kind: "modified" });
      }
      // Synchronous handlers settle on the spot; only real promises cost a microtask.
      if (result === undefined) this.handled();
      else void result.then(this.onHandled, this.onHandled);
    }
  }

  private readonly onHandled = (): void => this.handled();

  private handled(): void {
    this.running--;
    if (this.running === 0) this.notifyIdle();
    if (this.waiting.length > 0) this.dispatch();
  }

  /** settle(), logging instead of throwing should rhea refuse (the slot is freed anyway). */
  private settleGuarded(pending: Pending, settlement: Settlement): void {
    try {
      this.settle(pending, settlement);
    } catch (error) {
      this.connection.log(
        `amqp: consumer of "${this.address}" could not settle a delivery: ${describeThrown(error)}`,
      );
    }
  }

  private settle(pending: Pending, settlement: Settlement): void {
    const { delivery, link } = pending;
    // A delivery of a link that died with its connection cannot be settled; the router
    // gives it to someone else.
    if (link !== this.link) return;
    settleDelivery(delivery, settlement, this.stats);
    this.window.settled(delivery);
    if (!this.stopping) this.window.earned(link);
  }

  private detachedByRouter(link: Receiver, cause: DetachCause): void {
    this.closeLink();
    this.attached = false;
    this.waiting.length = 0;
    const refused = this.refusedError(this.source, link, cause);
    this.failReady(refused);
    this.report(refused);
    // Re-attached with backoff: a transient condition (no route yet) with a short cap, any
    // other refusal too (the address may be configured or authorized later) with a long one.
    if (this.openedAt > 0 && Date.now() - this.openedAt >= STABLE_LINK_MS) this.backoff.reset();
    this.openedAt = 0;
    const delay = this.backoff.refused(
      refused.transient ? REATTACH_TRANSIENT_MAX_DELAY_MS : REATTACH_MAX_DELAY_MS,
    );
    this.connection.log(`amqp: ${refused.message}; attaching again in ${delay} ms`);
    this.reattachLater(delay);
  }

  private notifyIdle(): void {
    if (this.running > 0) return;
    this.handlersDone.resolve();
  }

  private failReady(error: Error): void {
    this.readyWaiters.reject(error);
  }

  /** Hands a link problem to onError; an onError that throws must not break rhea's events. */
  private report(error: Error): void {
    const onError = this.options.onError;
    if (!onError) return;
    try {
      onError(error);
    } catch (thrown) {
      this.connection.log(
        `amqp: onError of the consumer of "${this.address}" threw: ${describeThrown(thrown)}`,
      );
    }
  }

  private stoppedError(what: string): ClientClosedError {
    return new ClientClosedError(`${what}: the consumer of "${this.address}" was stopped`, {
      address: this.address,
      url: this.url,
    });
  }
}
