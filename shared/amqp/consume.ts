/**
 * consume(): a receiver with an explicit credit window. Credit starts at `prefetch` and one
 * credit is given back per settled delivery, so a slow handler slows the producer instead
 * of filling memory. The handler's outcome chooses the settlement.
 */
import { type Context, context as otelContext, ROOT_CONTEXT, type Span } from "@opentelemetry/api";
import * as z from "zod/mini";
import { escapeControlCharacters } from "../log-text.ts";
import { backoffDelay } from "./backoff.ts";
import type { MeshConnection } from "./connection.ts";
import {
  ClientClosedError,
  type ConnectionFailedError,
  describeThrown,
  isRetryable,
  LinkRefusedError,
  PermanentError,
  RetryableError,
} from "./errors.ts";
import { graceMsSchema, parseOptions, timeLimitMs } from "./limits.ts";
import { type DetachCause, LinkLifecycle } from "./link-lifecycle.ts";
import { decodeMeshMessage, type ReceivedMessage } from "./message.ts";
import {
  attachedSource,
  beginReceiverSession,
  type Connection,
  creditOf,
  type Delivery,
  type EventContext,
  type Message,
  type Receiver,
  type Session,
} from "./rhea.ts";
import { endSpan, extractTraceContext, startReceiveSpan } from "./trace-context.ts";

export interface DeliveryInfo {
  address: string;
  /** The trace context the producer sent (with the receive span active). */
  traceContext: Context;
  /** The router the message came through (credentials stripped). */
  url: string | undefined;
  /**
   * The message's AMQP user-id, when the producer set one: routers with a vhost policy
   * refuse a message whose user-id is not its sender's authenticated user.
   */
  userId: string | undefined;
}

export type MessageHandler = (message: ReceivedMessage, info: DeliveryInfo) => Promise<void> | void;

/**
 * rhea's per-session delivery buffer (one session per consumer). It frees deliveries only
 * from the oldest end, so one slow handler plus steady credit would overflow it; credit is
 * held back while the span from the oldest unsettled delivery would not fit.
 */
const SESSION_BUFFER = 2_048;

const functionSchema = <F>(what: string) =>
  z.custom<F>((v) => typeof v === "function", `must be a function (${what})`);

/** Built on first use (cold start: a function that only publishes never parses it). */
export const consumeOptionsSchema = z.lazy(() =>
  z
    .object({
      /** Credit window: at most this many deliveries outstanding (unsettled) at a time. */
      prefetch: z._default(
        z
          .number()
          .check(
            z.int(),
            z.minimum(1, "must be at least 1"),
            z.maximum(
              SESSION_BUFFER / 2,
              `must be at most ${SESSION_BUFFER / 2} (half of rhea's ${SESSION_BUFFER}-delivery session buffer)`,
            ),
          ),
        10,
      ),
      /** Handlers running at once (≤ prefetch). */
      concurrency: z._default(z.number().check(z.int(), z.minimum(1, "must be at least 1")), 1),
      /** A problem description for an invalid payload (settled `rejected`), or undefined if valid. */
      validate: z.optional(
        functionSchema<(message: ReceivedMessage) => string | undefined>(
          "message → problem or undefined",
        ),
      ),
      /** Link-level problems (refused attach); the consumer keeps re-attaching unless stopped. */
      onError: z.optional(functionSchema<(error: Error) => void>("error → void")),
      /**
       * stop() drains the link's credit first (default). RabbitMQ 3.x's AMQP 1.0 plugin drops
       * the connection on drain; pass false there: stop() then just stops granting credit.
       */
      drainOnStop: z._default(z.boolean(), true),
      /** How long stop() waits for the router to confirm drain and detach. */
      stopTimeoutMs: z._default(timeLimitMs({ allowZero: true }), 2_000),
      /** How long stop() lets running handlers finish before detaching anyway (default 30 s). */
      handlerGraceMs: z._default(timeLimitMs({ allowZero: true }), 30_000),
    })
    .check(
      z.refine((o) => o.concurrency <= o.prefetch, {
        message: "must not exceed prefetch (a running handler holds one delivery of the window)",
        path: ["concurrency"],
      }),
    ),
);
export type ConsumeOptions = z.input<typeof consumeOptionsSchema>;
type ParsedConsumeOptions = z.output<typeof consumeOptionsSchema>;

type Settlement =
  | { kind: "accept" }
  | { kind: "release" }
  | { kind: "modified" }
  | { kind: "reject"; description: string };

interface Pending {
  delivery: Delivery;
  link: Receiver;
  raw: Message;
}

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
  private readonly handler: MessageHandler;
  private readonly prefetch: number;
  private readonly concurrency: number;
  private readonly options: ParsedConsumeOptions;
  /** Unsettled deliveries of the current link by delivery id (ascending, insertion order). */
  private readonly unsettled = new Map<number, Delivery>();
  private newestId = -1;
  /** Credit earned by settlements but held back to protect the session buffer. */
  private owedCredit = 0;
  /** Consecutive refused attaches (reset by a detach after the link had worked a while). */
  private refusals = 0;
  /** When the router answered the current link's attach (a refusal answers, then detaches). */
  private openedAt = 0;
  private readonly waiting: Pending[] = [];
  private running = 0;
  private stopping = false;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private drainedWaiter: (() => void) | undefined;
  private closedWaiter: (() => void) | undefined;
  /** Set while the current link is attached with a source and has our credit. */
  private attached = false;
  private readyWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private stopPromise: Promise<void> | undefined;
  /** Whether the router answered the current link's attach (opened or refused it). */
  private linkAnswered = false;
  private answeredWaiter: (() => void) | undefined;
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
    this.handler = handler;
    this.options = parseOptions(consumeOptionsSchema, options, `consume options for "${address}"`);
    this.prefetch = this.options.prefetch;
    this.concurrency = this.options.concurrency;
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
    return new Promise((resolve, reject) => {
      this.readyWaiters.push({ resolve, reject });
      // After the reconnect budget ran out nothing connects by itself: ready() starts over.
      if (this.link === undefined) this.connection.ensureConnecting();
    });
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
    this.linkAnswered = false;
    this.unsettled.clear();
    this.owedCredit = 0;
    return { session, link };
  }

  /** The router answered the current link's attach (opened or refused it). */
  private answered(): void {
    this.linkAnswered = true;
    this.answeredWaiter?.();
  }

  protected opened(link: Receiver): void {
    this.answered();
    if (this.stopping) return;
    link.add_credit(this.prefetch);
    // AMQP 1.0 §2.6.3: a peer refusing the link answers the attach with a null source and
    // detaches with the reason (qdrouterd, skupper-router: CORE_link_detach). That detach
    // settles ready(); only an attach with a source is one.
    if (attachedSource(link) === undefined) return;
    this.openedAt = Date.now();
    this.attached = true;
    for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
  }

  protected listen(link: Receiver): void {
    link.on("message", (ctx: EventContext) => {
      if (ctx.delivery && ctx.message)
        this.received({ delivery: ctx.delivery, link, raw: ctx.message });
    });
    link.on("receiver_drained", () => this.drainedWaiter?.());
  }

  protected detached(link: Receiver, cause: DetachCause): void {
    this.answered();
    this.closedWaiter?.();
    if (!this.stopping) this.detachedByRouter(link, cause);
  }

  connectionLost(): void {
    // Still registered: the next connection attaches us (and cancels a pending re-attach).
    // Unsettled deliveries of the dead link go back to the router's queue; skip the waiting ones.
    this.forgetLink();
    this.attached = false;
    this.waiting.length = 0;
    // A stop() waiting on the dead link goes on at once.
    this.answeredWaiter?.();
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
    if (link !== undefined && !this.linkAnswered) {
      await this.waitFor((done) => {
        this.answeredWaiter = done;
      }, timeoutMs);
      this.answeredWaiter = undefined;
    }
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
      await this.waitFor((done) => this.idleWaiters.push(done), handlerGraceMs);
    }
    if (this.link === link && link?.is_open()) {
      await this.waitFor((done) => {
        this.closedWaiter = done;
        link.close();
      }, timeoutMs);
    }
    link?.removeAllListeners();
    // Unanswered even now: the session is left to the connection rather than risk it.
    if (this.link === link && this.linkAnswered) this.session?.close();
    this.link = undefined;
    this.attached = false;
    this.stopped = true;
    this.connection.unregister(this);
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
    if (pending.link === this.link) {
      this.unsettled.set(pending.delivery.id, pending.delivery);
      this.newestId = pending.delivery.id;
    }
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
        result = this.handle(pending);
      } catch (error) {
        // handle() guards the handler; this is a last resort so the slot is never lost.
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

  /**
   * Decodes, validates and runs the handler; a promise only if the handler returned one.
   * Whatever the handler throws or rejects with (an object whose String() throws, a
   * thenable whose `then` throws...) settles the delivery and never escapes.
   */
  private handle(pending: Pending): Promise<void> | undefined {
    let message: ReceivedMessage;
    let problem: string | undefined;
    try {
      message = decodeMeshMessage(pending.raw);
      const found: unknown = this.options.validate?.(message);
      problem = found === undefined ? undefined : describeThrown(found);
    } catch (error) {
      this.settleGuarded(pending, { kind: "reject", description: describeThrown(error) });
      return undefined;
    }
    if (problem !== undefined) {
      this.settleGuarded(pending, { kind: "reject", description: `invalid payload: ${problem}` });
      return undefined;
    }
    const parent = extractTraceContext(message.applicationProperties, ROOT_CONTEXT);
    const { span, ctx } = startReceiveSpan(this.address, parent);
    const info: DeliveryInfo = {
      address: this.address,
      traceContext: ctx,
      url: this.url,
      userId: userIdOf(pending.raw as { user_id?: unknown }),
    };
    let result: Promise<void> | void;
    try {
      result = otelContext.with(ctx, () => this.handler(message, info));
    } catch (error) {
      this.failed(pending, span, error);
      return undefined;
    }
    if (result === undefined || !isThenable(result)) {
      this.succeeded(pending, span);
      return undefined;
    }
    // Inline arrows (no per-message named closures: cheaper under the TS loaders too).
    return Promise.resolve(result).then(
      () => this.succeeded(pending, span),
      (error: unknown) => this.failed(pending, span, error),
    );
  }

  private succeeded(pending: Pending, span: Span): void {
    safely(() => endSpan(span));
    this.settleGuarded(pending, { kind: "accept" });
  }

  private failed(pending: Pending, span: Span, error: unknown): void {
    safely(() => endSpan(span, error));
    this.settleGuarded(pending, settlementFor(error));
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
    switch (settlement.kind) {
      case "accept":
        delivery.accept();
        this.stats.accepted++;
        break;
      case "release":
        delivery.release();
        this.stats.released++;
        break;
      case "modified":
        delivery.modified({ delivery_failed: true });
        this.stats.modified++;
        break;
      case "reject":
        delivery.reject({
          condition: "amqp:precondition-failed",
          // From the payload or a handler's error: it reaches the sender's logs and dead letters.
          description: escapeControlCharacters(settlement.description),
        });
        this.stats.rejected++;
        break;
    }
    this.unsettled.delete(delivery.id);
    if (this.stopping) return;
    this.owedCredit++;
    const oldest = this.unsettled.keys().next();
    const span = oldest.done ? 0 : this.newestId - oldest.value + 1;
    if (span + this.prefetch > SESSION_BUFFER) return;
    link.add_credit(this.owedCredit);
    this.owedCredit = 0;
  }

  private detachedByRouter(_link: Receiver, { condition, description }: DetachCause): void {
    this.forgetLink().session?.close();
    this.attached = false;
    this.waiting.length = 0;
    const refused = new LinkRefusedError({
      address: this.source,
      url: this.url,
      role: "receiver",
      condition,
      description,
    });
    this.failReady(refused);
    this.report(refused);
    // Re-attached with backoff: a transient condition (no route yet) with a short cap, any
    // other refusal too (the address may be configured or authorized later) with a long one.
    if (this.openedAt > 0 && Date.now() - this.openedAt >= STABLE_LINK_MS) this.refusals = 0;
    this.openedAt = 0;
    const cap = refused.transient ? REATTACH_TRANSIENT_MAX_DELAY_MS : REATTACH_MAX_DELAY_MS;
    const delay = backoffDelay(this.refusals++, REATTACH_DELAY_MS, cap);
    this.connection.log(`amqp: ${refused.message}; attaching again in ${delay} ms`);
    this.reattachLater(delay);
  }

  private notifyIdle(): void {
    if (this.running > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private failReady(error: Error): void {
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(error);
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

/** The settlement a handler's error asks for; `modified` when the error cannot even be read. */
function settlementFor(error: unknown): Settlement {
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

/** Whether a handler's result is a promise-like, without trusting its getters. */
function isThenable(value: unknown): value is PromiseLike<void> {
  try {
    return typeof (value as { then?: unknown }).then === "function";
  } catch {
    return true; // A `then` that throws: Promise.resolve() turns it into a rejection.
  }
}

function safely(run: () => void): void {
  try {
    run();
  } catch {
    // A tracer that throws must not keep a delivery unsettled.
  }
}

/** The AMQP user-id (binary on the wire) as text; undefined when absent or empty. */
function userIdOf(raw: { user_id?: unknown }): string | undefined {
  const value = raw.user_id;
  const text =
    value instanceof Uint8Array
      ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("utf8")
      : typeof value === "string"
        ? value
        : undefined;
  return text === "" ? undefined : text;
}
