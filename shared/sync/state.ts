/**
 * What config-sync remembers between runs: the last good registry (the baseline breaking
 * payload-schema changes are judged against, and what a restarted router gets back when the
 * store holds an invalid registry), and per router what was seen of it (its boot time, from
 * its uptime) and synced. Kept as one JSON document in a file or an object.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import * as z from "zod/mini";
import { englishMessages } from "../amqp/schema-issues.ts";
import type { ProjectSnapshot } from "./snapshot.ts";
import type { ObjectStore } from "./source.ts";

const routerStateSchema = z.object({
  routerId: z.string(),
  /** When the router started (ms since the epoch), as seen − uptime. */
  bootTime: z.number(),
  /** When it was last seen (ms since the epoch). */
  seenAt: z.number(),
  /** When a full sync (QUERY, plan, apply) last ended without a failed operation. */
  syncedAt: z.optional(z.number()),
  /** The registry digest the router was last synced to without a failed operation. */
  syncedDigest: z.optional(z.string()),
  /**
   * The digest of the desired config (as prepared for this router) whose live entities its
   * last sync brought it to: nothing failed or blocked (changes only a restart makes, on
   * types config-sync never writes, may be pending). Absent otherwise. An event run
   * plans from that config instead of a QUERY when it can generate it again (see run.ts).
   */
  appliedConfig: z.optional(z.string()),
});

export const syncStateSchema = z.object({
  version: z.literal(1),
  lastGood: z.optional(
    z.object({
      digest: z.string(),
      source: z.string(),
      revision: z.string(),
      files: z.array(z.object({ path: z.string(), content: z.string() })),
      acceptedAt: z.number(),
    }),
  ),
  routers: z._default(z.record(z.string(), routerStateSchema), {}),
});

export type SyncState = z.output<typeof syncStateSchema>;
export type RouterState = z.output<typeof routerStateSchema>;

export const EMPTY_STATE: SyncState = { version: 1, routers: {} };

/** The state document cannot be read as one (corrupt, another version). */
export class SyncStateError extends Error {
  override name = "SyncStateError";
}

export interface SyncStateStore {
  readonly description: string;
  /** The stored state, or EMPTY_STATE when none was written yet. */
  read(): Promise<SyncState>;
  write(state: SyncState): Promise<void>;
}

export function parseSyncState(text: string, where: string): SyncState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SyncStateError(
      `${where} is not JSON: delete it to start over (the next run records a new state)`,
    );
  }
  const parsed = syncStateSchema.safeParse(value, englishMessages);
  if (!parsed.success)
    throw new SyncStateError(
      `${where} is not a config-sync state (${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}): delete it to start over`,
    );
  return parsed.data;
}

export function lastGoodOf(
  snapshot: ProjectSnapshot,
  now: number,
): NonNullable<SyncState["lastGood"]> {
  return {
    digest: snapshot.digest,
    source: snapshot.source,
    revision: snapshot.revision,
    files: snapshot.files,
    acceptedAt: now,
  };
}

export class MemoryStateStore implements SyncStateStore {
  readonly description = "memory";
  state: SyncState = structuredClone(EMPTY_STATE);
  writes = 0;

  async read(): Promise<SyncState> {
    return structuredClone(this.state);
  }

  async write(state: SyncState): Promise<void> {
    this.writes++;
    this.state = structuredClone(state);
  }
}

/** A JSON file (the CLI); written atomically through a temporary file next to it. */
export class FileStateStore implements SyncStateStore {
  readonly description: string;
  readonly #file: string;

  constructor(file: string) {
    this.#file = file;
    this.description = file;
  }

  async read(): Promise<SyncState> {
    let text: string;
    try {
      text = await readFile(this.#file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return structuredClone(EMPTY_STATE);
      throw error;
    }
    return parseSyncState(text, this.#file);
  }

  async write(state: SyncState): Promise<void> {
    await mkdir(dirname(this.#file), { recursive: true });
    const temporary = `${this.#file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, this.#file);
  }
}

/** An object in a bucket or container (the functions), outside the project's own keys. */
export class ObjectStateStore implements SyncStateStore {
  readonly description: string;
  readonly #store: ObjectStore;
  readonly #key: string;

  constructor(store: ObjectStore, key: string) {
    this.#store = store;
    this.#key = key;
    this.description = `${store.description}${key}`;
  }

  async read(): Promise<SyncState> {
    const got = await this.#store.get(this.#key);
    return got === undefined
      ? structuredClone(EMPTY_STATE)
      : parseSyncState(got.content, this.description);
  }

  async write(state: SyncState): Promise<void> {
    await this.#store.put(this.#key, `${JSON.stringify(state)}\n`);
  }
}
