/**
 * consume(): a receiver with an explicit credit window. Credit starts at `prefetch` and one
 * credit is given back per settled delivery, so a slow handler slows the producer instead
 * of filling memory. The handler's outcome chooses the settlement.
 */
import { type Context, context as otelContext, ROOT_CONTEXT, type Span } from "@opentelemetry/api";
import { z } from "zod";
import { backoffDelay } from "./backoff.ts";
import type { ManagedLink, MeshConnection } from "./connection.ts";
import {
  type ConnectionFailedError,
  isRetryable,
  LinkRefusedError,
  PermanentError,
  RetryableError,
} from "./errors.ts";
import { graceMsSchema, parseOptions, timeLimitMs } from "./limits.ts";
import { decodeMeshMessage, type ReceivedMessage } from "./message.ts";
import {
  amqpErrorFields,
  beginReceiverSession,
  type RawMessage,
  type RheaConnection,
  type RheaDelivery,
  type RheaReceiver,
  type RheaSession,
} from "./rhea-types.ts";
import { endSpan, extractTraceContext, startReceiveSpan } from "./trace-context.ts";

export interface DeliveryInfo {
  address: string;
  /** The trace context the producer sent (with the receive span active). */
  traceContext: Context;
  /** The router the message came through (credentials stripped). */
  url: string | undefined;
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

export const consumeOptionsSchema = z
  .object({
    /** Credit window: at most this many deliveries outstanding (unsettled) at a time. */
    prefetch: z
      .number()
      .int()
      .min(1, "must be at least 1")
      .max(
        SESSION_BUFFER / 2,
        `must be at most ${SESSION_BUFFER / 2} (half of rhea's ${SESSION_BUFFER}-delivery session buffer)`,
      )
      .default(10),
    /** Handlers running at once (≤ prefetch). */
    concurrency: z.number().int().min(1, "must be at least 1").default(1),
    /** A problem description for an invalid payload (settled `rejected`), or undefined if valid. */
    validate: functionSchema<(message: ReceivedMessage) => string | undefined>(
      "message → problem or undefined",
    ).optional(),
    /** Link-level problems (refused attach); the consumer keeps re-attaching unless stopped. */
    onError: functionSchema<(error: Error) => void>("error → void").optional(),
    /**
     * stop() drains the link's credit first (default). RabbitMQ 3.x's AMQP 1.0 plugin drops
     * the connection on drain; pass false there: stop() then just stops granting credit.
     */
    drainOnStop: z.boolean().default(true),
    /** How long stop() waits for the router to confirm drain and detach. */
    stopTimeoutMs: timeLimitMs({ allowZero: true }).default(2_000),
    /** How long stop() lets running handlers finish before detaching anyway (default 30 s). */
    handlerGraceMs: timeLimitMs({ allowZero: true }).default(30_000),
  })
  .refine((o) => o.concurrency <= o.prefetch, {
    message: "must not exceed prefetch (a running handler holds one delivery of the window)",
    path: ["concurrency"],
  });
export type ConsumeOptions = z.input<typeof consumeOptionsSchema>;
type ParsedConsumeOptions = z.output<typeof consumeOptionsSchema>;

type Settlement =
  | { kind: "accept" }
  | { kind: "release" }
  | { kind: "modified" }
  | { kind: "reject"; description: string };

interface Pending {
  delivery: RheaDelivery;
  link: RheaReceiver;
  raw: RawMessage;
}

const REATTACH_DELAY_MS = 500;
/** Backoff cap after a final refusal (unauthorized, not found...): it may be configured later. */
const REATTACH_MAX_DELAY_MS = 30_000;
/** Backoff cap after a transient refusal (no route to a link route's broker yet...). */
const REATTACH_TRANSIENT_MAX_DELAY_MS = 5_000;
/** A link open this long before its detach was working: its detach restarts the backoff. */
const STABLE_LINK_MS = 1_000;

export class Consumer implements ManagedLink {
  readonly address: string;
  private readonly connection: MeshConnection;
  private readonly handler: MessageHandler;
  private readonly prefetch: number;
  private readonly concurrency: number;
  private readonly options: ParsedConsumeOptions;
  private link: RheaReceiver | undefined;
  private session: RheaSession | undefined;
  /** Unsettled deliveries of the current link by delivery id (ascending, insertion order). */
  private readonly unsettled = new Map<number, RheaDelivery>();
  private newestId = -1;
  /** Credit earned by settlements but held back to protect the session buffer. */
  private owedCredit = 0;
  /** Consecutive refused attaches (reset by a detach after the link had worked a while). */
  private refusals = 0;
  /** When the router answered the current link's attach (a refusal answers, then detaches). */
  private openedAt = 0;
  private url: string | undefined;
  private readonly waiting: Pending[] = [];
  private running = 0;
  private stopping = false;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private drainedWaiter: (() => void) | undefined;
  private closedWaiter: (() => void) | undefined;
  private readyWaiters: Array<() => void> = [];
  /** Settled deliveries by outcome, for observability and tests. */
  readonly stats = { accepted: 0, released: 0, modified: 0, rejected: 0 };

  constructor(
    connection: MeshConnection,
    address: string,
    handler: MessageHandler,
    options: ConsumeOptions = {},
  ) {
    this.connection = connection;
    this.address = address;
    this.handler = handler;
    this.options = parseOptions(consumeOptionsSchema, options, `consume options for "${address}"`);
    this.prefetch = this.options.prefetch;
    this.concurrency = this.options.concurrency;
    connection.register(this);
  }

  /** Resolves once the receiver link is attached (useful before publishing in tests). */
  ready(): Promise<void> {
    if (this.link?.is_open()) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  attach(connection: RheaConnection, url: string): void {
    if (this.stopping) return;
    this.url = url;
    const session = beginReceiverSession(connection);
    this.session = session;
    const link = session.attach_receiver({
      source: { address: this.address },
      credit_window: 0,
      autoaccept: false,
    });
    this.link = link;
    this.unsettled.clear();
    this.owedCredit = 0;
    link.on("receiver_open", () => {
      if (this.link !== link) return;
      this.openedAt = Date.now();
      link.add_credit(this.prefetch);
      // A router refusing the link answers the attach and detaches at once (the detach is
      // in the same read): only a link still open after it is ready.
      setImmediate(() => {
        if (this.link !== link || !link.is_open()) return;
        for (const resolve of this.readyWaiters.splice(0)) resolve();
      });
    });
    link.on("message", (ctx) => {
      if (ctx.delivery && ctx.message)
        this.received({ delivery: ctx.delivery, link, raw: ctx.message });
    });
    link.on("receiver_drained", () => this.drainedWaiter?.());
    link.on("receiver_error", () => {});
    link.on("receiver_close", () => {
      if (this.link !== link) return;
      this.closedWaiter?.();
      if (!this.stopping) this.detachedByRouter(link, amqpErrorFields(link.error));
    });
    session.on("session_error", () => {});
    session.on("session_close", () => {
      if (this.link !== link) return;
      this.closedWaiter?.();
      if (!this.stopping) this.detachedByRouter(link, amqpErrorFields(session.error));
    });
  }

  connectionLost(): void {
    // Still registered: the next connection attaches us (and cancels a pending re-attach).
    // Unsettled deliveries of the dead link go back to the router's queue; skip the waiting ones.
    this.link?.removeAllListeners();
    this.link = undefined;
    this.waiting.length = 0;
    this.notifyIdle();
  }

  connectionFailed(error: ConnectionFailedError): void {
    this.options.onError?.(error);
  }

  /**
   * Graceful stop: drain credit (no new deliveries), release the ones not yet handed to the
   * handler, let running handlers finish and settle, then detach.
   */
  async stop(handlerGraceMs = this.options.handlerGraceMs): Promise<void> {
    parseOptions(graceMsSchema, handlerGraceMs, "stop() handlerGraceMs");
    if (this.stopping) return;
    this.stopping = true;
    this.connection.cancelReattach(this);
    const timeoutMs = this.options.stopTimeoutMs;
    const link = this.link;
    if (link?.is_open() && this.options.drainOnStop !== false) {
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
    if (this.link === link) this.session?.close();
    this.link = undefined;
    this.stopped = true;
    this.connection.unregister(this);
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
      const result = this.handle(pending);
      // Synchronous handlers settle on the spot; only real promises cost a microtask.
      if (result === undefined) this.handled();
      else void result.then(() => this.handled());
    }
  }

  private handled(): void {
    this.running--;
    if (this.running === 0) this.notifyIdle();
    if (this.waiting.length > 0) this.dispatch();
  }

  /** Decodes, validates and runs the handler; a promise only if the handler returned one. */
  private handle(pending: Pending): Promise<void> | undefined {
    let message: ReceivedMessage;
    let problem: string | undefined;
    try {
      message = decodeMeshMessage(pending.raw);
      problem = this.options.validate?.(message);
    } catch (error) {
      this.settle(pending, { kind: "reject", description: errorText(error) });
      return undefined;
    }
    if (problem !== undefined) {
      this.settle(pending, { kind: "reject", description: `invalid payload: ${problem}` });
      return undefined;
    }
    const parent = extractTraceContext(message.applicationProperties, ROOT_CONTEXT);
    const { span, ctx } = startReceiveSpan(this.address, parent);
    const info: DeliveryInfo = { address: this.address, traceContext: ctx, url: this.url };
    let result: Promise<void> | void;
    try {
      result = otelContext.with(ctx, () => this.handler(message, info));
    } catch (error) {
      this.failed(pending, span, error);
      return undefined;
    }
    if (result === undefined || typeof (result as Promise<void>).then !== "function") {
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
    endSpan(span);
    this.settle(pending, { kind: "accept" });
  }

  private failed(pending: Pending, span: Span, error: unknown): void {
    endSpan(span, error);
    this.settle(pending, settlementFor(error));
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
          description: settlement.description,
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

  private detachedByRouter(
    link: RheaReceiver,
    error: { condition: string | undefined; description: string | undefined },
  ): void {
    const { condition, description } = error;
    link.removeAllListeners();
    this.session?.close();
    this.link = undefined;
    this.waiting.length = 0;
    const refused = new LinkRefusedError({
      address: this.address,
      url: this.url,
      role: "receiver",
      condition,
      description,
    });
    this.options.onError?.(refused);
    // Re-attached with backoff: a transient condition (no route yet) with a short cap, any
    // other refusal too (the address may be configured or authorized later) with a long one.
    if (this.openedAt > 0 && Date.now() - this.openedAt >= STABLE_LINK_MS) this.refusals = 0;
    this.openedAt = 0;
    const cap = refused.transient ? REATTACH_TRANSIENT_MAX_DELAY_MS : REATTACH_MAX_DELAY_MS;
    const delay = backoffDelay(this.refusals++, REATTACH_DELAY_MS, cap);
    this.connection.log(`amqp: ${refused.message}; attaching again in ${delay} ms`);
    this.connection.reattachLater(this, delay, () => {
      if (!this.stopping) this.connection.reattach(this);
    });
  }

  private notifyIdle(): void {
    if (this.running > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

function settlementFor(error: unknown): Settlement {
  if (error instanceof PermanentError || !isRetryable(error)) {
    return { kind: "reject", description: errorText(error) };
  }
  if (error instanceof RetryableError && error.release) return { kind: "release" };
  return { kind: "modified" };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
