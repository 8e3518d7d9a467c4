/**
 * Queued mode: the platform reads a broker queue (Amazon MQ for Lambda, Service Bus for
 * Azure) and invokes the function with a batch. Neither takes a partial batch response
 * from us: a failed item fails the whole batch, which the broker redelivers (and moves to
 * its dead-letter queue after its maximum). So handlers must be idempotent: with an
 * `IdempotencyGuard` (Powertools idempotency over Redis or DynamoDB) an item done in an
 * earlier delivery of the batch is not run again.
 */
import { escapeControlCharacters } from "../log-text.ts";
import { type BatchRunOptions, runChannelBatch } from "./batch.ts";
import type { BatchItemFailure, ChannelHandlerDefinition } from "./definition.ts";
import { recordIdempotencyKey } from "./idempotency-key.ts";
import type { TriggerRecord } from "./records.ts";

/**
 * Runs `work` at most once per key (`recordIdempotencyKey`: channel, producer, message id — and the body's digest when no producer is verified): a key whose work completed earlier resolves without
 * running it; work in progress elsewhere rejects (the batch is retried later).
 */
export interface IdempotencyGuard {
  once(key: string, work: () => Promise<void>): Promise<void>;
  /** The invocation's time left: an in-progress record expires with it (a crash frees the key). */
  useRemainingTime?(remainingMs: () => number): void;
}

export interface QueuedBatchOutcome {
  /** Items the handler ran on in this delivery and that succeeded. */
  processed: string[];
  /** Items done in an earlier delivery (idempotency): not run again. */
  skipped: string[];
  failures: BatchItemFailure[];
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

function deferred(): Deferred {
  let resolve: () => void = () => {};
  let reject: (error: Error) => void = () => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * One record per key (channel, producer, message id; the body's digest without a verified
 * producer): duplicates (a resend the broker stored twice) share its outcome; the same id
 * from another producer, or with other content from an unverified one, is another message.
 */
function unique(
  channel: string,
  records: readonly TriggerRecord[],
): { items: TriggerRecord[]; keys: string[] } {
  const keyed = new Map<string, TriggerRecord>();
  for (const r of records) {
    const key = recordIdempotencyKey(channel, r);
    if (!keyed.has(key)) keyed.set(key, r);
  }
  return { items: [...keyed.values()], keys: [...keyed.keys()] };
}

export async function runQueuedBatch<T>(
  definition: ChannelHandlerDefinition<T>,
  channel: string,
  records: readonly TriggerRecord[],
  options: BatchRunOptions & { idempotency?: IdempotencyGuard | undefined },
): Promise<QueuedBatchOutcome> {
  // Each record's key once (it may hash the body): the guard asks with the same keys.
  const { items, keys } = unique(definition.channel, records);
  const guard = options.idempotency;
  guard?.useRemainingTime?.(options.context.remainingMs);
  if (guard === undefined) {
    const { batchItemFailures } = await runChannelBatch(definition, channel, items, options);
    const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
    return {
      processed: items.map((r) => r.id).filter((id) => !failed.has(id)),
      skipped: [],
      failures: batchItemFailures,
    };
  }
  // Each item asks the guard; the ones it lets through form the batch the handler gets.
  const entered = items.map(() => deferred());
  const results = items.map(() => deferred());
  // Items the guard does not run never await their result: their rejection is nobody's.
  for (const result of results) result.promise.catch(() => {});
  const guarded = keys.map((key, i) =>
    guard.once(key, () => {
      entered[i]?.resolve();
      return results[i]?.promise ?? Promise.resolve();
    }),
  );
  const states = await Promise.all(
    items.map((_, i) =>
      Promise.race([
        entered[i]?.promise.then(() => ({ state: "run" as const })),
        guarded[i]?.then(
          () => ({ state: "done" as const }),
          (error: unknown) => ({ state: "refused" as const, error }),
        ),
      ]),
    ),
  );
  const toRun = items.filter((_, i) => states[i]?.state === "run");
  const failures: BatchItemFailure[] = [];
  if (toRun.length > 0) {
    let response: { batchItemFailures: BatchItemFailure[] };
    try {
      response = await runChannelBatch(definition, channel, toRun, options);
    } catch (error) {
      for (const result of results) result.reject(error as Error);
      await Promise.allSettled(guarded);
      throw error;
    }
    const failedIds = new Map(response.batchItemFailures.map((f) => [f.itemIdentifier, f]));
    items.forEach((record, i) => {
      const failure = failedIds.get(record.id);
      if (failure) results[i]?.reject(new Error(failure.reason ?? "failed"));
      else results[i]?.resolve();
    });
    failures.push(...response.batchItemFailures);
  }
  const settled = await Promise.allSettled(guarded);
  const processed: string[] = [];
  const skipped: string[] = [];
  items.forEach((record, i) => {
    const state = states[i];
    if (state?.state === "done") skipped.push(record.id);
    else if (state?.state === "refused") {
      const error = state.error;
      failures.push({
        itemIdentifier: record.id,
        reason: escapeControlCharacters(
          `idempotency: ${error instanceof Error ? error.message : String(error)}`,
        ),
      });
    } else if (settled[i]?.status === "fulfilled") processed.push(record.id);
  });
  return { processed, skipped, failures };
}
