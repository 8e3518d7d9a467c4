/**
 * Config-sync's project loader: the registry's one loader (registry/project.ts) over a
 * store snapshot held in memory, with a cache per file.
 *
 * Each file's parse and checks (YAML, its schema, each channel; the topology's own rules)
 * depend on its text alone, and for a team document on the schemaFiles it names: they are
 * kept by the file's path and content digest, with the digests of the files it read, and
 * reused while all of them are unchanged. A warm function (or the next pass, or the last
 * good registry loaded next to the new one) that sees 999 unchanged files parses and checks
 * only the changed one. The rules across files (overlaps, references, payload schemas —
 * each schema's compile is kept by its text in the registry module) run on the whole
 * registry every time: they are linear in its size.
 *
 * Bounded: files kept up to `limits.files` and `limits.bytes` of source text, and whole
 * projects (by digest) up to `limits.projects`, the least recently used going first.
 */
import { createHash } from "node:crypto";
import {
  type FileResultCache,
  loadProject,
  memoryFiles,
  type TeamDocumentLoad,
  type TopologyFileResult,
} from "../registry/index.ts";
import type { LoadedProject, ProjectSnapshot } from "./snapshot.ts";

export interface ProjectLoaderLimits {
  /** Files whose results are kept. */
  files: number;
  /** Source text (UTF-16 code units) of the files kept. */
  bytes: number;
  /** Whole loaded projects kept by digest. */
  projects: number;
}

export const PROJECT_LOADER_LIMITS: ProjectLoaderLimits = {
  files: 15_000,
  bytes: 24 * 1024 * 1024,
  projects: 4,
};

interface FileEntry {
  chars: number;
  /** Other project files the result depends on, with the digest of what they held then. */
  reads: Map<string, string | undefined>;
  result: TopologyFileResult | TeamDocumentLoad;
}

/** What one load did, file by file (for tests and the benchmark). */
export interface LoadStats {
  /** Paths parsed and checked. */
  parsed: string[];
  /** Paths whose kept result was used. */
  reused: string[];
}

function digestOf(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export class ProjectLoader {
  readonly limits: ProjectLoaderLimits;
  readonly #files = new Map<string, FileEntry>();
  #chars = 0;
  readonly #projects = new Map<string, Promise<LoadedProject>>();
  /** What the last load that was not a whole-project hit did. */
  lastLoad: LoadStats = { parsed: [], reused: [] };

  constructor(limits: Partial<ProjectLoaderLimits> = {}) {
    this.limits = { ...PROJECT_LOADER_LIMITS, ...limits };
  }

  /** Files whose results are kept now. */
  get keptFiles(): number {
    return this.#files.size;
  }

  /** The snapshot validated; the result carries this snapshot (its revision is the store's). */
  async load(snapshot: ProjectSnapshot): Promise<LoadedProject> {
    const key = `${snapshot.source}\n${snapshot.digest}`;
    let loading = this.#projects.get(key);
    if (loading === undefined) {
      loading = this.#load(snapshot);
      this.#projects.set(key, loading);
      loading.catch(() => this.#projects.delete(key));
      while (this.#projects.size > this.limits.projects)
        this.#projects.delete(this.#projects.keys().next().value!);
    } else {
      this.#projects.delete(key);
      this.#projects.set(key, loading);
    }
    const loaded = await loading;
    return { ...loaded, snapshot };
  }

  async #load(snapshot: ProjectSnapshot): Promise<LoadedProject> {
    const source = snapshot.source;
    const digests = new Map(snapshot.files.map((f) => [f.path, digestOf(f.content)]));
    const chars = new Map(snapshot.files.map((f) => [f.path, f.content.length]));
    const stats: LoadStats = { parsed: [], reused: [] };
    const cache: FileResultCache = {
      kept: async (path, compute) => {
        const key = `${source}\n${path}\n${digests.get(path) ?? "absent"}`;
        const hit = this.#files.get(key);
        if (hit !== undefined && [...hit.reads].every(([p, d]) => digests.get(p) === d)) {
          this.#files.delete(key);
          this.#files.set(key, hit);
          stats.reused.push(path);
          return hit.result as Awaited<ReturnType<typeof compute>>;
        }
        const reads = new Map<string, string | undefined>();
        const result = await compute((read) => reads.set(read, digests.get(read)));
        stats.parsed.push(path);
        this.#keep(key, { chars: chars.get(path) ?? 0, reads, result });
        return result;
      },
    };
    const { registry, topology, diagnostics } = await loadProject(
      memoryFiles(snapshot.files, source),
      cache,
    );
    this.lastLoad = stats;
    return { snapshot, registry, topology, diagnostics };
  }

  #keep(key: string, entry: FileEntry): void {
    const previous = this.#files.get(key);
    if (previous !== undefined) {
      this.#files.delete(key);
      this.#chars -= previous.chars;
    }
    this.#files.set(key, entry);
    this.#chars += entry.chars;
    for (const [oldest, old] of this.#files) {
      if (this.#files.size <= this.limits.files && this.#chars <= this.limits.bytes) break;
      this.#files.delete(oldest);
      this.#chars -= old.chars;
    }
  }
}

/**
 * Validates a snapshot as `amqp-mesh validate` validates a folder, from memory (nothing is
 * written anywhere); problems name the store's objects. Nothing is kept: config-sync's runs
 * use a ProjectLoader, which keeps each file's results for the next load.
 */
export function loadSnapshot(snapshot: ProjectSnapshot): Promise<LoadedProject> {
  return new ProjectLoader().load(snapshot);
}
