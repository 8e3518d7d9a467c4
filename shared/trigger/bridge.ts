/**
 * Bridge mode: a long-lived consumer next to the edge router that feeds a function. Credit
 * is tied to the function's concurrency (concurrency × batch size deliveries held at most),
 * deliveries are batched by size and by a maximum wait, and each is settled by what the
 * function answered: success → accepted; failure → retried with backoff up to `maxAttempts`,
 * then published to the channel's dead-letter channel and accepted (rejected when the channel
 * has none). Nothing is settled before the function answered, so a bridge that dies leaves
 * its unsettled deliveries to the router, which gives them back to their producers (or, for a
 * broker channel, the broker) to be delivered again.
 *
 * Why it is long: it is one state machine — credit, the batch being filled, invocations in
 * flight, settlement, retries with backoff, dead-lettering, a fatal stop — over one set of
 * held deliveries. Each step reads and changes what the others hold, so split by step the
 * parts would reach into each other's state; the attempt ledger, the invokers, the batch run
 * and the records are already modules of their own.
 */
import {
  type ConnectionFailedError,
  type ConsumeOptions,
  type Consumer,
  type DeliveryInfo,
  isFinalConnectionFailure,
  type MeshMessage,
  type MessageHandler,
  PermanentError,
  type PublishOptions,
  type PublishResult,
  type ReceivedMessage,
  RetryableError,
} from "../amqp/index.ts";
import { escapeControlCharacters } from "../log-text.ts";
import { type AttemptLedger, attemptKey, MemoryAttemptLedger } from "./attempt-ledger.ts";
import { matchBatchFailures } from "./batch.ts";
import { InvokeError } from "./errors.ts";
import type { FunctionInvoker } from "./invoker.ts";
import { INVOCATION_FORMAT, recordOfMessage } from "./records.ts";

/** What the bridge needs of the shared client (MeshClient has it). */
export interface BridgeClient {
  consume(address: string, handler: MessageHandler, options?: ConsumeOptions): Consumer;
  publish(address: string, message: MeshMessage, options?: PublishOptions): Promise<PublishResult>;
}

/** Why a bridge stopped by itself. */
export type BridgeFatalError = InvokeError | ConnectionFailedError;

export interface BridgeOptions {
  client: BridgeClient;
  channel: string;
  /** The channel's dead-letter channel from the registry; without one, exhausted messages are rejected. */
  deadLetter?: string | undefined;
  invoker: FunctionInvoker;
  /** Most messages per invocation (default 10). */
  batchSize?: number;
  /** Longest a message waits for its batch to fill (default 100 ms). */
  maxWaitMs?: number;
  /** Invocations at once (default 4); credit = concurrency × batchSize. */
  concurrency?: number;
  /** Attempts per message before it is dead-lettered (default 5). */
  maxAttempts?: number;
  /**
   * Where attempts are counted (default: in memory). A FileAttemptLedger keeps them across
   * restarts, so a message that is never settled (the bridge dies or is stopped while the
   * function has it) still reaches `maxAttempts` and the dead-letter channel.
   */
  attempts?: AttemptLedger;
  /** First retry delay (default 500 ms), doubling up to `retryMaxDelayMs` (default 30 s). */
  retryDelayMs?: number;
  retryMaxDelayMs?: number;
  /** false for RabbitMQ 3.x (its AMQP 1.0 plugin drops the connection on drain). */
  drainOnStop?: boolean;
  log?: (line: string) => void;
  /**
   * The bridge stopped for good: the function cannot be invoked at all (not found, not
   * authorized), or the router refused the bridge's login or denied it by policy (retrying the
   * same login would only be refused again). Transient connection failures are retried.
   */
  onFatal?: (error: BridgeFatalError) => void;
}

export interface BridgeStats {
  /** Deliveries the router handed the bridge. */
  received: number;
  invocations: number;
  /** Invocations the function failed as a whole. */
  functionErrors: number;
  /** Invocations that could not reach the function (retried without counting an attempt). */
  invokeErrors: number;
  accepted: number;
  retried: number;
  deadLettered: number;
  rejected: number;
  released: number;
}

interface Item {
  readonly seq: number;
  readonly message: ReceivedMessage;
  /** The message's AMQP user-id (routers with a vhost policy verify it). */
  readonly producer: string | undefined;
  /** Its key in the attempt ledger (channel, producer, message id). */
  readonly key: string;
  /**
   * Failed attempts, from the bridge's ledger (this process's and earlier ones'). Never the
   * message's delivery-count header: a producer sets that as it likes (4 would dead-letter
   * the message after one attempt).
   */
  failures: number;
  readyAt: number;
  retryTimer: NodeJS.Timeout | undefined;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

const DEAD_LETTER_RETRY_MS = 1_000;

export class ChannelBridge {
  readonly channel: string;
  readonly stats: BridgeStats = {
    received: 0,
    invocations: 0,
    functionErrors: 0,
    invokeErrors: 0,
    accepted: 0,
    retried: 0,
    deadLettered: 0,
    rejected: 0,
    released: 0,
  };
  private readonly options: BridgeOptions;
  private readonly batchSize: number;
  private readonly maxWaitMs: number;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly ledger: AttemptLedger;
  private readonly prefetch: number;
  private readonly ready: Item[] = [];
  private readonly held = new Set<Item>();
  private inFlight = 0;
  private seq = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushAt = Number.POSITIVE_INFINITY;
  private stopping = false;
  private fatal: BridgeFatalError | undefined;
  private consumer: Consumer | undefined;

  constructor(options: BridgeOptions) {
    this.options = options;
    this.channel = options.channel;
    this.batchSize = positive(options.batchSize, 10, "batchSize");
    this.maxWaitMs = Math.max(0, options.maxWaitMs ?? 100);
    this.concurrency = positive(options.concurrency, 4, "concurrency");
    this.maxAttempts = positive(options.maxAttempts, 5, "maxAttempts");
    this.ledger = options.attempts ?? new MemoryAttemptLedger();
    this.prefetch = this.concurrency * this.batchSize;
  }

  /** Starts consuming; resolves once the receiver link is attached. */
  start(): Promise<void> {
    if (this.consumer !== undefined) return this.consumer.ready();
    this.consumer = this.options.client.consume(this.channel, (m, info) => this.received(m, info), {
      prefetch: this.prefetch,
      // Every delivery goes straight to the batcher; the invocations are what is limited.
      concurrency: this.prefetch,
      ...(this.options.drainOnStop === undefined ? {} : { drainOnStop: this.options.drainOnStop }),
      onError: (error) => {
        if (isFinalConnectionFailure(error)) this.fail(error);
        else this.log(`bridge ${this.channel}: ${error.message}`);
      },
    });
    this.log(
      `bridge ${this.channel} → ${this.options.invoker.description}: credit ${this.prefetch} ` +
        `(${this.concurrency} invocations × ${this.batchSize}), max wait ${this.maxWaitMs} ms, ` +
        `${this.maxAttempts} attempts, dead letters → ${this.options.deadLetter ?? "none: rejected"}`,
    );
    return this.consumer.ready();
  }

  /** Deliveries held (not settled yet): in a batch, at the function, or waiting for a retry. */
  get unsettled(): number {
    return this.held.size;
  }

  get failure(): BridgeFatalError | undefined {
    return this.fatal;
  }

  /**
   * Graceful stop: no new deliveries, the ones not at the function are released, invocations
   * under way get `graceMs` to answer and are settled by their answer (failures released).
   */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.releaseWaiting("the bridge is stopping");
    await this.consumer?.stop(graceMs);
    await this.options.invoker.close?.();
  }

  private received(message: ReceivedMessage, info: DeliveryInfo): Promise<void> {
    this.stats.received++;
    return new Promise<void>((resolve, reject) => {
      const key = attemptKey(this.channel, info.userId, message);
      const item: Item = {
        seq: this.seq++,
        message,
        producer: info.userId,
        key,
        failures: this.ledger.get(key),
        readyAt: Date.now(),
        retryTimer: undefined,
        resolve,
        reject,
      };
      if (this.stopping || this.fatal !== undefined) {
        this.stats.released++;
        reject(new RetryableError("the bridge is stopping", { release: true }));
        return;
      }
      this.held.add(item);
      // Tried maxAttempts times already, by bridges that never settled it (it killed them, or
      // they were stopped while the function had it): dead-lettered without an attempt more.
      if (item.failures >= this.maxAttempts) {
        void this.deadLetter(
          item,
          `failed ${item.failures} attempts; the bridge stopped before the last ones were answered`,
        );
        return;
      }
      this.ready.push(item);
      this.pump();
    });
  }

  private pump(): void {
    while (
      !this.stopping &&
      this.fatal === undefined &&
      this.inFlight < this.concurrency &&
      this.ready.length > 0
    ) {
      const oldest = this.ready[0] as Item;
      const due = oldest.readyAt + this.maxWaitMs;
      // A full window gets no more deliveries until something settles: no point waiting.
      if (
        this.ready.length < this.batchSize &&
        this.held.size < this.prefetch &&
        Date.now() < due
      ) {
        this.armFlush(due);
        return;
      }
      const batch = this.ready.splice(0, this.batchSize);
      this.inFlight++;
      void this.invoke(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private armFlush(at: number): void {
    if (this.flushTimer !== undefined && this.flushAt <= at) return;
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushAt = at;
    this.flushTimer = setTimeout(
      () => {
        this.flushTimer = undefined;
        this.flushAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(0, at - Date.now()),
    );
  }

  private async invoke(batch: Item[]): Promise<void> {
    this.stats.invocations++;
    const bySeq = new Map(batch.map((item) => [String(item.seq), item]));
    const records = batch.map((item) =>
      recordOfMessage(item.message, String(item.seq), item.failures + 1, item.producer),
    );
    // Written down before the function has them: an attempt the bridge dies in counts too.
    this.ledger.set(batch.map((item) => [item.key, item.failures + 1] as const));
    let result: Awaited<ReturnType<FunctionInvoker["invoke"]>>;
    try {
      result = await this.options.invoker.invoke({
        format: INVOCATION_FORMAT,
        channel: this.channel,
        records,
      });
    } catch (error) {
      const invokeError =
        error instanceof InvokeError
          ? error
          : new InvokeError(`invoking ${this.options.invoker.description}: ${String(error)}`, {
              fatal: false,
              cause: error,
            });
      // The function was not reached: no attempt.
      this.ledger.set(batch.map((item) => [item.key, item.failures] as const));
      if (invokeError.fatal) {
        for (const item of batch) this.release(item);
        this.fail(invokeError);
        return;
      }
      this.stats.invokeErrors++;
      this.log(`bridge ${this.channel}: ${invokeError.message}; the batch is tried again later`);
      for (const item of batch) this.retry(item, false);
      return;
    }
    if (result.kind === "function-error") {
      this.stats.functionErrors++;
      this.log(`bridge ${this.channel}: the function failed the whole batch: ${result.message}`);
      for (const item of batch) this.failed(item, `function error: ${result.message}`, false);
      return;
    }
    const failures = matchBatchFailures(result.response, new Set(bySeq.keys()));
    const failed = new Map(failures.map((f) => [f.itemIdentifier, f]));
    for (const item of batch) {
      const failure = failed.get(String(item.seq));
      if (failure === undefined) this.settleAccepted(item);
      else
        this.failed(
          item,
          failure.reason ?? "the function reported it failed",
          failure.permanent === true,
        );
    }
  }

  private settleAccepted(item: Item): void {
    this.ledger.set([[item.key, 0]]);
    this.held.delete(item);
    this.stats.accepted++;
    item.resolve();
  }

  private release(item: Item): void {
    if (item.retryTimer !== undefined) clearTimeout(item.retryTimer);
    this.held.delete(item);
    this.stats.released++;
    item.reject(new RetryableError("released by the bridge", { release: true }));
  }

  private failed(item: Item, reason: string, permanent: boolean): void {
    item.failures++;
    if (this.stopping || this.fatal !== undefined) {
      this.release(item);
      return;
    }
    if (permanent || item.failures >= this.maxAttempts) {
      const why = permanent ? reason : `failed ${item.failures} attempts; last: ${reason}`;
      void this.deadLetter(item, why);
      return;
    }
    this.retry(item, true);
  }

  /** Back into the batcher after a backoff; `counted` retries raise the delay with the attempts. */
  private retry(item: Item, counted: boolean): void {
    if (this.stopping || this.fatal !== undefined) {
      this.release(item);
      return;
    }
    this.stats.retried++;
    const step = counted ? Math.max(0, item.failures - 1) : 0;
    const delay = backoffDelayFor(
      step,
      this.options.retryDelayMs ?? 500,
      this.options.retryMaxDelayMs ?? 30_000,
    );
    item.retryTimer = setTimeout(() => {
      item.retryTimer = undefined;
      item.readyAt = Date.now();
      this.ready.push(item);
      this.pump();
    }, delay);
  }

  private async deadLetter(item: Item, reason: string): Promise<void> {
    const deadLetter = this.options.deadLetter;
    if (deadLetter === undefined) {
      this.ledger.set([[item.key, 0]]);
      this.held.delete(item);
      this.stats.rejected++;
      item.reject(
        new PermanentError(`${reason} (channel ${this.channel} has no deadLetter channel)`),
      );
      return;
    }
    const m = item.message;
    const message: MeshMessage = {
      body: m.body,
      ...(m.messageId === undefined ? {} : { messageId: m.messageId }),
      ...(m.contentType === undefined ? {} : { contentType: m.contentType }),
      ...(m.subject === undefined ? {} : { subject: m.subject }),
      ...(m.correlationId === undefined ? {} : { correlationId: m.correlationId }),
      applicationProperties: {
        ...m.applicationProperties,
        "amqp-mesh-dead-letter-reason": escapeControlCharacters(reason).slice(0, 1_000),
        "amqp-mesh-dead-letter-source": this.channel,
        "amqp-mesh-attempts": item.failures,
      },
    };
    // Accepted only once the dead-letter channel accepted it: the message is never lost here.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.client.publish(deadLetter, message, { deadline: 10_000 });
        this.ledger.set([[item.key, 0]]);
        this.held.delete(item);
        this.stats.deadLettered++;
        item.resolve();
        return;
      } catch (error) {
        this.log(
          `bridge ${this.channel}: dead-lettering to ${deadLetter} failed (${String(error)}); trying again`,
        );
        if (this.stopping || this.fatal !== undefined) {
          this.release(item);
          return;
        }
        await new Promise((resolve) =>
          setTimeout(resolve, backoffDelayFor(attempt, DEAD_LETTER_RETRY_MS, 30_000)),
        );
      }
    }
  }

  private releaseWaiting(why: string): void {
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const item of this.ready.splice(0)) this.release(item);
    for (const item of [...this.held]) if (item.retryTimer !== undefined) this.release(item);
    if (this.held.size > 0)
      this.log(`bridge ${this.channel}: ${why}; ${this.held.size} deliveries at the function`);
  }

  private fail(error: BridgeFatalError): void {
    if (this.fatal !== undefined) return;
    this.fatal = error;
    this.log(`bridge ${this.channel}: ${error.message}; stopping`);
    this.releaseWaiting(
      error instanceof InvokeError
        ? "the function cannot be invoked"
        : "the router refused the bridge",
    );
    void this.consumer?.stop(5_000).then(() => this.options.onFatal?.(error));
  }

  private log(line: string): void {
    this.options.log?.(escapeControlCharacters(line));
  }
}

/** Exponential backoff with equal jitter: deliveries failed together do not come back together. */
function backoffDelayFor(step: number, initialMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(step, 30));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`bridge ${what} must be a whole number ≥ 1 (got ${value})`);
  return value;
}
