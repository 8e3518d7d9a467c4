/**
 * The registry a running function enforces, learnt from the store: it starts from the
 * snapshot bundled at deploy time (the cold-start fallback), reads the snapshot config-sync
 * publishes after its gate (`published/registry-snapshot.json`) by ETag on an interval, and
 * swaps to each valid new one in one assignment — a request or batch that took `current()`
 * keeps that release to its end. Whatever the store answers (garbage, nothing, an error),
 * the last good release stays; each distinct failure is logged once. See README.md, "Live
 * registry" and "Trust model".
 */
import {
  DeployedRegistry,
  parseRegistrySnapshot,
  type RegistrySnapshot,
  snapshotDigest,
} from "./snapshot.ts";
import type { PayloadValidators } from "./validators.ts";

/** Where the published snapshot is read from (S3, Blob: adapters in functions/). */
export interface SnapshotStore {
  /** For log lines: `s3://bucket/key`, a blob URL without its query (no secrets). */
  readonly description?: string;
  /**
   * The object's text and ETag; `not-modified` when its ETag is still `ifNoneMatch`;
   * `missing` when there is no such object (yet). Rejects on any other failure.
   */
  read(ifNoneMatch?: string): Promise<{ etag: string; text: string } | "not-modified" | "missing">;
}

/** One registry as a request sees it, from start to end. */
export interface RegistryRelease {
  registry: DeployedRegistry;
  validators: PayloadValidators;
  digest: string;
  snapshot: RegistrySnapshot;
}

/** What the ingress and the triggers read the registry through, once per request or batch. */
export interface RegistryView {
  current(): RegistryRelease;
}

/** A registry that never changes (no store configured, tests, the local CLI). */
export function fixedRegistry(
  snapshot: RegistrySnapshot,
  validators: PayloadValidators,
): RegistryView {
  const release: RegistryRelease = {
    registry: new DeployedRegistry(snapshot),
    validators,
    digest: snapshot.digest,
    snapshot,
  };
  return { current: () => release };
}

/** Makes the validators of a snapshot that was not bundled (live-validators.ts). */
export type ValidatorFactory = (
  snapshot: RegistrySnapshot,
  previous: RegistryRelease,
) => Promise<PayloadValidators>;

export interface LiveRegistryOptions {
  /** The deploy-time snapshot and its precompiled validators: the release until the store has one. */
  bundled: { snapshot: RegistrySnapshot; validators: PayloadValidators };
  /** The store, or how to open it (imported lazily, after init, by the functions). */
  store: SnapshotStore | (() => Promise<SnapshotStore>);
  validatorsFor: ValidatorFactory;
  /** Between two reads of the store (default 5 s); a `current()` after a longer pause reads too. */
  pollMs?: number;
  /** Larger objects are refused unread (default 4 MiB). */
  maxBytes?: number;
  log?: (line: string) => void;
  onChange?: (change: RegistryChange) => void;
}

export interface RegistryChange {
  from: string;
  to: string;
  release: RegistryRelease;
}

/** What one read of the store did. */
export type RefreshOutcome =
  | { kind: "unchanged" }
  | { kind: "swapped"; from: string; to: string }
  | { kind: "same-digest" }
  | { kind: "missing" }
  | { kind: "refused"; problem: string }
  | { kind: "closed" };

export const DEFAULT_POLL_MS = 5_000;
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/** The poll interval from REGISTRY_POLL_MS (milliseconds, ≥ 50); the default when unset. */
export function pollMsFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  const text = env.REGISTRY_POLL_MS;
  if (text === undefined || text === "") return DEFAULT_POLL_MS;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 50)
    throw new Error(`REGISTRY_POLL_MS must be a whole number of milliseconds ≥ 50, not '${text}'`);
  return value;
}

export class LiveRegistry implements RegistryView {
  #release: RegistryRelease;
  #etag: string | undefined;
  #store: SnapshotStore | undefined;
  readonly #openStore: () => Promise<SnapshotStore>;
  readonly #options: LiveRegistryOptions;
  readonly #pollMs: number;
  readonly #listeners = new Set<(change: RegistryChange) => void>();
  /** The last failure logged: the same one again is not logged again. */
  #lastProblem: string | undefined;
  #inFlight: Promise<RefreshOutcome> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastRead = 0;
  #closed = false;

  constructor(options: LiveRegistryOptions) {
    this.#options = options;
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    const { snapshot, validators } = options.bundled;
    this.#release = {
      registry: new DeployedRegistry(snapshot),
      validators,
      digest: snapshot.digest,
      snapshot,
    };
    const store = options.store;
    this.#openStore = typeof store === "function" ? store : () => Promise.resolve(store);
    if (options.onChange !== undefined) this.#listeners.add(options.onChange);
  }

  /** Starts polling: the first read now, then every pollMs. No timer keeps the process alive. */
  start(): this {
    if (!this.#closed && this.#timer === undefined) this.#schedule(0);
    return this;
  }

  /** The release to use for one whole request or batch. */
  current(): RegistryRelease {
    // A frozen Lambda or a suspended worker fires no timer: a call after a long pause reads.
    if (
      this.#timer !== undefined &&
      this.#inFlight === undefined &&
      Date.now() - this.#lastRead > 2 * this.#pollMs
    )
      void this.refresh();
    return this.#release;
  }

  get digest(): string {
    return this.#release.digest;
  }

  onChange(listener: (change: RegistryChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** One read of the store now (joins a read under way); always resolves. */
  refresh(): Promise<RefreshOutcome> {
    if (this.#closed) return Promise.resolve({ kind: "closed" });
    this.#inFlight ??= this.#read().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** Stops polling; a read under way finishes but swaps nothing. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
  }

  #schedule(delay: number): void {
    this.#timer = setTimeout(() => {
      void this.refresh().finally(() => {
        if (!this.#closed) this.#schedule(this.#pollMs);
      });
    }, delay);
    this.#timer.unref();
  }

  async #read(): Promise<RefreshOutcome> {
    this.#lastRead = Date.now();
    let where = "registry store";
    try {
      this.#store ??= await this.#openStore();
      where = this.#store.description ?? where;
      const answer = await this.#store.read(this.#etag);
      if (answer === "not-modified") return { kind: "unchanged" };
      if (answer === "missing") {
        // Nothing published yet (or deleted): keep what we have, read again next time.
        this.#etag = undefined;
        this.#problem(
          `${where}: no published snapshot; keeping registry ${short(this.#release.digest)}`,
        );
        return { kind: "missing" };
      }
      const { etag, text } = answer;
      const max = this.#options.maxBytes ?? DEFAULT_MAX_BYTES;
      if (text.length > max) return this.#refuse(etag, `${where}: larger than ${max} bytes`);
      let snapshot: RegistrySnapshot;
      try {
        snapshot = parseRegistrySnapshot(JSON.parse(text) as unknown, where);
      } catch (error) {
        const detail = error instanceof SyntaxError ? `${where}: not JSON` : message(error);
        return this.#refuse(etag, detail);
      }
      if (snapshotDigest(snapshot) !== snapshot.digest)
        return this.#refuse(etag, `${where}: its digest does not match its content`);
      if (snapshot.digest === this.#release.digest) {
        this.#etag = etag;
        this.#lastProblem = undefined;
        return { kind: "same-digest" };
      }
      let release: RegistryRelease;
      try {
        release = {
          registry: new DeployedRegistry(snapshot),
          validators: await this.#options.validatorsFor(snapshot, this.#release),
          digest: snapshot.digest,
          snapshot,
        };
      } catch (error) {
        return this.#refuse(etag, `${where}: ${message(error)}`);
      }
      if (this.#closed) return { kind: "closed" };
      const from = this.#release.digest;
      this.#release = release;
      this.#etag = etag;
      this.#lastProblem = undefined;
      this.#options.log?.(`registry ${short(from)} → ${short(release.digest)} (from ${where})`);
      for (const listener of this.#listeners) {
        try {
          listener({ from, to: release.digest, release });
        } catch (error) {
          this.#options.log?.(`registry change listener failed: ${message(error)}`);
        }
      }
      return { kind: "swapped", from, to: release.digest };
    } catch (error) {
      const problem = `${where}: read failed (${message(error)}); keeping registry ${short(this.#release.digest)}`;
      this.#problem(problem);
      return { kind: "refused", problem };
    }
  }

  /** A bad object: remembered by its ETag (not read again until it changes), logged once. */
  #refuse(etag: string, problem: string): RefreshOutcome {
    this.#etag = etag;
    this.#problem(`${problem}; keeping registry ${short(this.#release.digest)}`);
    return { kind: "refused", problem };
  }

  #problem(problem: string): void {
    if (problem === this.#lastProblem) return;
    this.#lastProblem = problem;
    this.#options.log?.(problem);
  }
}

function short(digest: string): string {
  return digest.slice(0, 12);
}

/**
 * An error's message, one line, bounded (an SDK error may carry a whole response), with what
 * could be a secret taken out: URL queries (a SAS) and key-like settings of a connection string.
 */
function message(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const line = text
    .replace(/\s+/g, " ")
    .replace(/(https?:\/\/[^\s?"']+)\?[^\s"']*/gi, "$1?…")
    .replace(/\b(AccountKey|SharedAccessSignature|sig|Password|Secret\w*)=[^;&\s"']*/gi, "$1=…");
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
