/**
 * The project loader: `topology.yaml` and the team documents of `registry/`, every rule run,
 * every finding returned — for a folder (`amqp-mesh validate`) and for config-sync's store
 * snapshots alike (project-files.ts says where the files come from). A cache may keep each
 * file's parse and checks (config-sync's ProjectLoader does); the rules across files run
 * on the whole project every time.
 */
import { type Diagnostic, sortDiagnostics } from "../diagnostics.ts";
import { checkTopologyDocument, type TopologyLoadResult } from "../topology/load.ts";
import type { Topology } from "../topology/schema.ts";
import { validateTopology } from "../topology/validate.ts";
import { parseYaml, unreadableFile } from "../yaml/parse.ts";
import { START_OF_FILE } from "../yaml/position.ts";
import {
  loadTeamDocument,
  noRegistryDocuments,
  type RegistryLoadResult,
  type TeamDocumentLoad,
  unreadableRegistryFolder,
} from "./load.ts";
import type { ChannelRegistry } from "./model.ts";
import { folderFiles, type ProjectFiles, REGISTRY_FOLDER, TOPOLOGY_FILE } from "./project-files.ts";
import { validateRegistry } from "./validate.ts";

export interface ProjectValidation {
  /** Present when topology.yaml parsed and matched the format (it may still break rules). */
  topology?: Topology;
  /** Present always; holds the team documents and channels that could be read. */
  registry?: ChannelRegistry;
  /** Every problem of the project, sorted by file and position. */
  diagnostics: Diagnostic[];
}

/** The topology as loaded, with validateTopology's findings (they depend on its file alone). */
export interface TopologyFileResult {
  load: TopologyLoadResult;
  rules: Diagnostic[];
}

/**
 * Keeps what one file gave: `compute`'s result for `path`, or a kept one while the file and
 * every path `compute` noted reading are unchanged.
 */
export interface FileResultCache {
  kept<T extends TopologyFileResult | TeamDocumentLoad>(
    path: string,
    compute: (noteRead: (path: string) => void) => Promise<T>,
  ): Promise<T>;
}

const NO_CACHE: FileResultCache = { kept: (_path, compute) => compute(() => {}) };

function loadTopologyFile(files: ProjectFiles, cache: FileResultCache) {
  return cache.kept<TopologyFileResult>(TOPOLOGY_FILE, async () => {
    const file = files.name(TOPOLOGY_FILE);
    const read = await files.read(TOPOLOGY_FILE);
    const load: TopologyLoadResult =
      "text" in read
        ? checkTopologyDocument(parseYaml(read.text, file))
        : {
            source: { file, locate: () => START_OF_FILE },
            diagnostics: [unreadableFile(file, read.problem)],
          };
    return {
      load,
      rules: load.topology === undefined ? [] : validateTopology(load.topology, load.source),
    };
  });
}

/** The team documents of `registry/` (sorted by name), each checked on its own. */
export async function loadRegistryFiles(
  files: ProjectFiles,
  cache: FileResultCache = NO_CACHE,
): Promise<RegistryLoadResult> {
  const registry: ChannelRegistry = { teams: [], channels: [] };
  const diagnostics: Diagnostic[] = [];
  const folder = files.name(REGISTRY_FOLDER);
  const names = await files.registryDocuments();
  if (names === undefined) diagnostics.push(unreadableRegistryFolder(folder));
  else if (names.length === 0) diagnostics.push(noRegistryDocuments(folder));
  for (const name of names ?? []) {
    const path = `${REGISTRY_FOLDER}/${name}`;
    const file = files.name(path);
    const read = await files.read(path);
    if ("problem" in read) {
      diagnostics.push(unreadableFile(file, read.problem));
      continue;
    }
    const loaded = await cache.kept<TeamDocumentLoad>(path, (noteRead) =>
      loadTeamDocument(parseYaml(read.text, file), (_, schemaFile) =>
        files.schemaFile(path, schemaFile, noteRead),
      ),
    );
    diagnostics.push(...loaded.diagnostics);
    if (loaded.team === undefined) continue;
    registry.teams.push(loaded.team);
    registry.channels.push(...loaded.channels);
  }
  return { registry, diagnostics };
}

/** Loads a project's topology and registry, runs every rule, returns all findings. */
export async function loadProject(
  files: ProjectFiles,
  cache: FileResultCache = NO_CACHE,
): Promise<ProjectValidation> {
  const topology = await loadTopologyFile(files, cache);
  const { registry, diagnostics } = await loadRegistryFiles(files, cache);
  const found = topology.load.topology;
  return {
    ...(found ? { topology: found } : {}),
    registry,
    diagnostics: sortDiagnostics([
      ...topology.load.diagnostics,
      ...topology.rules,
      ...diagnostics,
      ...validateRegistry(registry, found),
    ]),
  };
}

/** Loads `<dir>/topology.yaml` and `<dir>/registry/`, runs every rule, returns all findings. */
export function validateProject(dir: string): Promise<ProjectValidation> {
  return loadProject(folderFiles(dir));
}

/** Loads every team document in `<dir>/registry/`; every problem comes back as a diagnostic. */
export function loadRegistry(dir: string): Promise<RegistryLoadResult> {
  return loadRegistryFiles(folderFiles(dir));
}
