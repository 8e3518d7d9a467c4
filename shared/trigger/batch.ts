/**
 * Running a definition on one batch: decode every record, check its payload against the
 * channel's schema, hand the valid ones to the handler, and answer SQS-style which failed.
 * Records that can never succeed (unreadable, schema violations) are failures marked
 * `permanent` and never reach the handler; a handler that throws fails every item it got.
 */
import { escapeControlCharacters } from "../log-text.ts";
import { addressSegments } from "../registry/index.ts";
import type { ChannelCatalog } from "./catalog.ts";
import type {
  BatchItemFailure,
  BatchResponse,
  ChannelHandlerDefinition,
  ChannelMessage,
  TriggerContext,
} from "./definition.ts";
import { ChannelMismatchError, RecordInvalidError, UnknownChannelError } from "./errors.ts";
import { decodeRecord, type TriggerRecord } from "./records.ts";

export interface BatchRunOptions {
  catalog: ChannelCatalog;
  context: TriggerContext;
  /** Told about a handler that threw (the batch's items are reported failed). */
  onHandlerError?: (error: unknown) => void;
}

function sameChannel(a: string, b: string): boolean {
  return addressSegments(a).join("/") === addressSegments(b).join("/");
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A failure reason as it reaches logs and dead letters: control characters escaped. */
function safeReason(reason: string): string {
  return escapeControlCharacters(reason);
}

/** An answer (the handler's, or a function's over the wire) as failures of `valid`; one naming unknown items, or malformed, fails all. */
export function matchBatchFailures(
  answer: unknown,
  valid: ReadonlySet<string>,
): BatchItemFailure[] {
  if (answer === undefined || answer === null) return [];
  const list = (answer as { batchItemFailures?: unknown }).batchItemFailures;
  const all = (reason: string): BatchItemFailure[] =>
    [...valid].map((itemIdentifier) => ({ itemIdentifier, reason: safeReason(reason) }));
  if (typeof answer !== "object" || !Array.isArray(list))
    return all("the handler's answer is not { batchItemFailures: [...] }");
  const failures: BatchItemFailure[] = [];
  for (const entry of list) {
    const id = (entry as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    // As Lambda does for SQS: an answer it cannot match fails the whole batch.
    if (typeof id !== "string" || !valid.has(id))
      return all(
        `the handler named itemIdentifier ${JSON.stringify(id)}, which is not in the batch`,
      );
    const { permanent, reason } = entry as { permanent?: unknown; reason?: unknown };
    failures.push({
      itemIdentifier: id,
      ...(permanent === true ? { permanent: true } : {}),
      ...(typeof reason === "string" ? { reason: safeReason(reason) } : {}),
    });
  }
  return failures;
}

export async function runChannelBatch<T>(
  definition: ChannelHandlerDefinition<T>,
  invokedFor: string,
  records: readonly TriggerRecord[],
  options: BatchRunOptions,
): Promise<BatchResponse> {
  if (!sameChannel(definition.channel, invokedFor))
    throw new ChannelMismatchError(definition.channel, invokedFor);
  const channel = options.catalog.channel(definition.channel);
  if (channel === undefined)
    throw new UnknownChannelError(definition.channel, options.catalog.digest);
  const failures: BatchItemFailure[] = [];
  const batch: ChannelMessage<T>[] = [];
  for (const record of records) {
    let message: ChannelMessage<unknown>;
    try {
      message = decodeRecord(record, channel.address);
    } catch (error) {
      if (!(error instanceof RecordInvalidError)) throw error;
      failures.push({
        itemIdentifier: record.id,
        permanent: true,
        reason: safeReason(error.message),
      });
      continue;
    }
    const violations = channel.check(message.payload);
    if (violations.length > 0) {
      const detail = violations.map((v) => `${v.pointer || "(root)"} ${v.detail}`).join("; ");
      failures.push({
        itemIdentifier: record.id,
        permanent: true,
        reason: safeReason(`schema: ${detail}`),
      });
      continue;
    }
    batch.push(message as ChannelMessage<T>);
  }
  if (batch.length === 0) return { batchItemFailures: failures };
  const valid = new Set(batch.map((m) => m.id));
  let answer: unknown;
  try {
    answer = await definition.handler(batch, options.context);
  } catch (error) {
    options.onHandlerError?.(error);
    const permanent = (error as { retryable?: unknown } | null)?.retryable === false;
    for (const id of valid)
      failures.push({
        itemIdentifier: id,
        ...(permanent ? { permanent: true } : {}),
        reason: safeReason(`handler threw: ${errorText(error)}`),
      });
    return { batchItemFailures: failures };
  }
  failures.push(...matchBatchFailures(answer, valid));
  return { batchItemFailures: failures };
}
