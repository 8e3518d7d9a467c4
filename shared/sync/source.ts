/**
 * Where config-sync reads the registry project from: a folder (the CLI) or an object store
 * (S3, Blob: thin adapters in functions/ implement ObjectStore). Reads are consistent: each
 * object is fetched and its ETag compared with the listing's; if one changed meanwhile the
 * read starts over, so a snapshot never mixes two uploads.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import {
  isProjectPath,
  makeSnapshot,
  type ProjectFile,
  type ProjectSnapshot,
  revisionOf,
  SnapshotError,
} from "./snapshot.ts";

export interface RegistrySource {
  /** For reports: `s3://bucket/prefix/`, `blob://account/container/`, a folder. */
  readonly description: string;
  /** Every project file, consistently. */
  read(): Promise<ProjectSnapshot>;
  /** The store's current revision, cheaply (a listing): equal to read().revision when unchanged. */
  revision(): Promise<string>;
}

export interface StoredObject {
  key: string;
  /** The store's entity tag: changes with every write of the object. */
  etag: string;
}

/** What config-sync needs of a bucket or container. */
export interface ObjectStore {
  readonly description: string;
  /** Every object under `prefix` (all pages). */
  list(prefix: string): Promise<StoredObject[]>;
  /** The object's text and ETag; undefined when it does not exist (any more). */
  get(key: string, etag?: string): Promise<{ content: string; etag: string } | undefined>;
  put(key: string, content: string): Promise<void>;
}

const MAX_READ_ATTEMPTS = 5;

/** Stores quote ETags differently in listings and reads (Blob: bare in one, quoted in the other). */
function sameTag(a: string, b: string): boolean {
  const bare = (tag: string) => tag.replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
  return bare(a) === bare(b);
}

export interface ObjectStoreSourceOptions {
  /** Key prefix of the project (`""`, or e.g. `mesh/` for `mesh/topology.yaml`). */
  prefix?: string;
}

/** A registry project stored as objects: `<prefix>topology.yaml`, `<prefix>registry/…`. */
export class ObjectStoreSource implements RegistrySource {
  readonly description: string;
  readonly #store: ObjectStore;
  readonly #prefix: string;

  constructor(store: ObjectStore, options: ObjectStoreSourceOptions = {}) {
    this.#store = store;
    this.#prefix = options.prefix ?? "";
    this.description = `${store.description}${this.#prefix}`;
  }

  /** Whether an object key is one of the project's files (events for others are ignored). */
  isProjectKey(key: string): boolean {
    return key.startsWith(this.#prefix) && isProjectPath(key.slice(this.#prefix.length));
  }

  async #listing(): Promise<Array<StoredObject & { path: string }>> {
    const objects = await this.#store.list(this.#prefix);
    return objects
      .filter((o) => this.isProjectKey(o.key))
      .map((o) => ({ ...o, path: o.key.slice(this.#prefix.length) }));
  }

  async revision(): Promise<string> {
    return revisionOf(await this.#listing());
  }

  async read(): Promise<ProjectSnapshot> {
    for (let attempt = 1; attempt <= MAX_READ_ATTEMPTS; attempt++) {
      const listing = await this.#listing();
      const files: ProjectFile[] = [];
      let changed = false;
      for (const object of listing) {
        const got = await this.#store.get(object.key, object.etag);
        // Gone or rewritten since the listing: an upload is under way, read again.
        if (got === undefined || !sameTag(got.etag, object.etag)) {
          changed = true;
          break;
        }
        files.push({ path: object.path, content: got.content });
      }
      if (!changed) return makeSnapshot(files, this.description, revisionOf(listing));
    }
    throw new SnapshotError(
      `${this.description}: the project kept changing while it was read (${MAX_READ_ATTEMPTS} attempts); the next run reads it again`,
    );
  }
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** A project folder (`amqp-mesh sync <dir>`): its revision is the digest of its files. */
export class DirectorySource implements RegistrySource {
  readonly description: string;
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
    this.description = dir.endsWith(sep) ? dir : `${dir}${sep}`;
  }

  async read(): Promise<ProjectSnapshot> {
    const topology = join(this.#dir, "topology.yaml");
    const registryDir = join(this.#dir, "registry");
    const paths = [topology, ...(await walk(registryDir).catch(() => []))]
      .map((file) => ({ file, path: relative(this.#dir, file).split(sep).join("/") }))
      .filter(({ path }) => isProjectPath(path));
    // All at once: the file system takes them in parallel.
    const read = await Promise.all(
      paths.map(async ({ file, path }) => {
        const content = await readFile(file, "utf8").catch(() => undefined);
        return content === undefined ? [] : [{ path, content }];
      }),
    );
    return makeSnapshot(read.flat() as ProjectFile[], this.description);
  }

  async revision(): Promise<string> {
    return (await this.read()).revision;
  }
}

/** A short form of a digest or revision for logs. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 12);
}

/** sha256 of a text, hex: what the memory store's ETags are. */
export function contentTag(content: string): string {
  return createHash("sha256").update(content).digest("hex").slice(0, 32);
}

/** An object store in memory (tests, and the CLI's dry runs of store logic). */
export class MemoryObjectStore implements ObjectStore {
  readonly description: string;
  readonly objects = new Map<string, { content: string; etag: string }>();

  constructor(description = "memory://") {
    this.description = description;
  }

  async list(prefix: string): Promise<StoredObject[]> {
    return [...this.objects]
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, o]) => ({ key, etag: o.etag }));
  }

  async get(key: string): Promise<{ content: string; etag: string } | undefined> {
    return this.objects.get(key);
  }

  async put(key: string, content: string): Promise<void> {
    this.objects.set(key, { content, etag: contentTag(content) });
  }
}
