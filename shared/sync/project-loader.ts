/**
 * Validates registry snapshots as `amqp-mesh validate` validates a folder — the same
 * loaders and rules, the same diagnostics — from memory, with a cache per file.
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
import { posix } from "node:path";
import { type Diagnostic, sortDiagnostics } from "../diagnostics.ts";
import {
  type ChannelRegistry,
  loadTeamDocument,
  noRegistryDocuments,
  payloadSchemaFromText,
  schemaFileOutside,
  type TeamDocumentLoad,
  unreadableRegistryFolder,
  validateRegistry,
} from "../registry/index.ts";
import {
  checkTopologyDocument,
  type TopologyLoadResult,
  validateTopology,
} from "../topology/index.ts";
import { parseYaml } from "../yaml/index.ts";
import { START_OF_FILE } from "../yaml/position.ts";
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

interface TopologyResult {
  load: TopologyLoadResult;
  /** validateTopology's findings: they depend on the topology file alone. */
  rules: Diagnostic[];
}

interface FileEntry {
  chars: number;
  /** Other project files the result depends on, with the digest of what they held then. */
  reads: Map<string, string | undefined>;
  result: TopologyResult | TeamDocumentLoad;
}

/** What one load did, file by file (for tests and the benchmark). */
export interface LoadStats {
  /** Paths parsed and checked. */
  parsed: string[];
  /** Paths whose kept result was used. */
  reused: string[];
}

const TOPOLOGY = "topology.yaml";
const REGISTRY = "registry";
const YAML_NAME = /\.ya?ml$/;

function digestOf(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function missingFile(file: string, message: string): Diagnostic {
  return {
    severity: "error",
    code: "yaml/read",
    file,
    ...START_OF_FILE,
    path: [],
    message: `cannot read file: ${message}`,
    hint: "check that the file exists and is readable",
  };
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
    const contents = new Map(snapshot.files.map((f) => [f.path, f.content]));
    const digests = new Map(snapshot.files.map((f) => [f.path, digestOf(f.content)]));
    const stats: LoadStats = { parsed: [], reused: [] };
    const kept = async <T extends FileEntry["result"]>(
      path: string,
      compute: (reads: Map<string, string | undefined>) => Promise<T>,
    ): Promise<T> => {
      const key = `${source}\n${path}\n${digests.get(path) ?? "absent"}`;
      const hit = this.#files.get(key);
      if (hit !== undefined && [...hit.reads].every(([p, d]) => digests.get(p) === d)) {
        this.#files.delete(key);
        this.#files.set(key, hit);
        stats.reused.push(path);
        return hit.result as T;
      }
      const reads = new Map<string, string | undefined>();
      const result = await compute(reads);
      stats.parsed.push(path);
      this.#keep(key, { chars: contents.get(path)?.length ?? 0, reads, result });
      return result;
    };

    const topologyFile = `${source}${TOPOLOGY}`;
    const topology = await kept<TopologyResult>(TOPOLOGY, async () => {
      const text = contents.get(TOPOLOGY);
      if (text === undefined) {
        const load: TopologyLoadResult = {
          source: { file: topologyFile, locate: () => START_OF_FILE },
          diagnostics: [missingFile(topologyFile, `the project has no ${TOPOLOGY}`)],
        };
        return { load, rules: [] };
      }
      const load = checkTopologyDocument(parseYaml(text, topologyFile));
      return {
        load,
        rules: load.topology === undefined ? [] : validateTopology(load.topology, load.source),
      };
    });

    const registry: ChannelRegistry = { teams: [], channels: [] };
    const registryDiagnostics: Diagnostic[] = [];
    const folder = `${source}${REGISTRY}`;
    const inRegistry = snapshot.files.filter((f) => f.path.startsWith(`${REGISTRY}/`));
    // The registry folder's own entries, as a directory listing shows them: files, and the
    // first segment of deeper paths (folders).
    const entries = new Map<string, "file" | "folder">();
    for (const file of inRegistry) {
      const [name, ...deeper] = file.path.slice(REGISTRY.length + 1).split("/");
      if (name !== undefined && !entries.has(name))
        entries.set(name, deeper.length === 0 ? "file" : "folder");
    }
    const names = [...entries.keys()].filter((name) => YAML_NAME.test(name)).sort();
    if (inRegistry.length === 0) {
      registryDiagnostics.push(unreadableRegistryFolder(folder));
    } else if (names.length === 0) {
      registryDiagnostics.push(noRegistryDocuments(folder));
    }
    for (const name of names) {
      const path = `${REGISTRY}/${name}`;
      const file = `${source}${path}`;
      if (entries.get(name) === "folder") {
        registryDiagnostics.push(missingFile(file, `${file} is a folder, not a YAML document`));
        continue;
      }
      const loaded = await kept<TeamDocumentLoad>(path, (reads) =>
        loadTeamDocument(parseYaml(contents.get(path) ?? "", file), async (_, schemaFile) => {
          // Relative to the document's folder, inside the project; never the file system.
          const target = posix.normalize(posix.join(posix.dirname(path), schemaFile));
          const inside = !target.startsWith("../") && target !== ".." && !target.startsWith("/");
          // An absolute name leaves the project too (the CLI's loader resolves it as one).
          if (!inside || posix.isAbsolute(schemaFile)) return schemaFileOutside(schemaFile, source);
          reads.set(target, digests.get(target));
          return payloadSchemaFromText(schemaFile, `${source}${target}`, contents.get(target));
        }),
      );
      registryDiagnostics.push(...loaded.diagnostics);
      if (loaded.team === undefined) continue;
      registry.teams.push(loaded.team);
      registry.channels.push(...loaded.channels);
    }
    this.lastLoad = stats;

    const found = topology.load.topology;
    return {
      snapshot,
      registry,
      topology: found,
      diagnostics: sortDiagnostics([
        ...topology.load.diagnostics,
        ...topology.rules,
        ...registryDiagnostics,
        ...validateRegistry(registry, found),
      ]),
    };
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
