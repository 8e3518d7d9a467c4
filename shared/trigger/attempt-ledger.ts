/**
 * The bridge's attempt counts per message, kept where they outlive one bridge process. A
 * message the bridge never settles (it died, or was stopped, while the function had it) comes
 * back from the router or the broker as if new: neither RabbitMQ 3.x (no delivery-count, only
 * `first-acquirer`) nor a producer retrying a released message carries how often it was tried,
 * and the producer's own `delivery_count` is not to be trusted. An attempt is written down
 * before the function gets the message, so a message that kills the bridge is counted too.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ReceivedMessage } from "../amqp/index.ts";

export interface AttemptLedger {
  /** Attempts written down for `key` (0 when none). */
  get(key: string): number;
  /** Sets the counts of several keys at once (0 forgets a key); one write for all. */
  set(counts: ReadonlyArray<readonly [key: string, attempts: number]>): void;
}

/** Default most messages a ledger remembers; the least recently set go first. */
export const ATTEMPT_LEDGER_LIMIT = 10_000;

/**
 * A message's ledger key: its authenticated producer (the router-verified user-id) and its
 * message id; a message without an id, or without a verified producer, also by a digest of
 * its content — so that another producer's failing message under the same id never counts
 * against this one's attempts.
 */
export function attemptKey(
  channel: string,
  producer: string | undefined,
  message: ReceivedMessage,
): string {
  const digest = (): string =>
    `sha256:${createHash("sha256")
      .update(JSON.stringify([message.body, message.subject, message.applicationProperties]))
      .digest("base64url")}`;
  if (message.messageId === undefined) return JSON.stringify([channel, producer ?? "", digest()]);
  const id = `id:${String(message.messageId)}`;
  return JSON.stringify(
    producer === undefined ? [channel, "", id, digest()] : [channel, producer, id],
  );
}

/** Counts in memory: bounded, lost with the process (the bridge's default). */
export class MemoryAttemptLedger implements AttemptLedger {
  protected readonly counts = new Map<string, number>();
  private readonly limit: number;

  constructor(limit = ATTEMPT_LEDGER_LIMIT) {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError(`attempt ledger limit must be a whole number ≥ 1 (got ${limit})`);
    this.limit = limit;
  }

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  set(counts: ReadonlyArray<readonly [string, number]>): void {
    for (const [key, attempts] of counts) {
      this.counts.delete(key);
      if (attempts > 0) this.counts.set(key, attempts);
    }
    for (const key of this.counts.keys()) {
      if (this.counts.size <= this.limit) break;
      this.counts.delete(key);
    }
  }
}

/**
 * Counts in a JSON file (mode 0600), rewritten whole (temporary file + rename) on every
 * change, so a bridge restarted on the same disk goes on counting. A file that cannot be
 * read or parsed starts the ledger empty and is said so in `problem`. A file that cannot be
 * written (a read-only disk, a folder the process may not write) leaves the counts in
 * memory — they still bound retries within this process — and is said once through
 * `onWriteError`: refusing every message for want of a file would stop the channel.
 */
export class FileAttemptLedger extends MemoryAttemptLedger {
  readonly path: string;
  /** Why the file's counts were not taken over, if they were not. */
  readonly problem: string | undefined;

  private readonly onWriteError: ((message: string) => void) | undefined;
  private writeFailed = false;

  constructor(
    path: string,
    limit = ATTEMPT_LEDGER_LIMIT,
    onWriteError?: (message: string) => void,
  ) {
    super(limit);
    this.path = path;
    this.onWriteError = onWriteError;
    let text: string | undefined;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        this.problem = `${path} could not be read: ${(error as Error).message}`;
    }
    if (text === undefined) return;
    try {
      const parsed: unknown = JSON.parse(text);
      if (!Array.isArray(parsed)) throw new Error("not a JSON array of [key, attempts] pairs");
      super.set(
        parsed.filter(
          (e): e is [string, number] =>
            Array.isArray(e) &&
            typeof e[0] === "string" &&
            Number.isSafeInteger(e[1]) &&
            (e[1] as number) > 0,
        ),
      );
    } catch (error) {
      this.problem = `${path} is not an attempt ledger (${(error as Error).message}); starting empty`;
    }
  }

  override set(counts: ReadonlyArray<readonly [string, number]>): void {
    super.set(counts);
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      const temporary = `${this.path}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify([...this.counts]), { mode: 0o600 });
      renameSync(temporary, this.path);
      this.writeFailed = false;
    } catch (error) {
      if (this.writeFailed) return;
      this.writeFailed = true;
      this.onWriteError?.(
        `attempt ledger ${this.path} cannot be written (${(error as Error).message}): attempts are counted in memory only, and start again if this process restarts`,
      );
    }
  }
}
