/**
 * Where a project's files come from, for the one project loader (project.ts): a folder on
 * disk (`amqp-mesh validate`, generate, bundle) or files held in memory (config-sync's store
 * snapshots). Each names its files for diagnostics and keeps schemaFiles inside the project.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import {
  payloadSchemaFromText,
  projectSchemaFileReader,
  type SchemaFileResult,
  schemaFileOutside,
} from "./payload-schema-file.ts";

export const TOPOLOGY_FILE = "topology.yaml";
export const REGISTRY_FOLDER = "registry";
const YAML_NAME = /\.ya?ml$/;

export interface ProjectFiles {
  /** How diagnostics name a project path (`topology.yaml`, `registry/sales.yaml`, `registry`). */
  name(path: string): string;
  /** The names of the YAML documents in `registry/`, sorted; undefined when it cannot be read. */
  registryDocuments(): Promise<string[] | undefined>;
  /** A file's text, or why it cannot be read. */
  read(path: string): Promise<{ text: string } | { problem: string }>;
  /**
   * A channel's schemaFile, relative to the document at `documentPath`, from inside the
   * project only; `noteRead` is told each project path whose content the answer depends on.
   */
  schemaFile(
    documentPath: string,
    schemaFile: string,
    noteRead: (path: string) => void,
  ): Promise<SchemaFileResult>;
}

/** UTF-16 code-unit order: the same on every machine and locale. */
function sortedYaml(names: Iterable<string>): string[] {
  return [...names].filter((name) => YAML_NAME.test(name)).sort();
}

/** The project in folder `dir`: schemaFiles resolved on disk, symbolic links followed. */
export function folderFiles(dir: string): ProjectFiles {
  const readSchemaFile = projectSchemaFileReader(dir);
  return {
    name: (path) => join(dir, path),
    async registryDocuments() {
      try {
        return sortedYaml(await readdir(join(dir, REGISTRY_FOLDER)));
      } catch {
        return undefined;
      }
    },
    async read(path) {
      try {
        return { text: await readFile(join(dir, path), "utf8") };
      } catch (error) {
        return { problem: error instanceof Error ? error.message : String(error) };
      }
    },
    schemaFile: (documentPath, schemaFile) => readSchemaFile(join(dir, documentPath), schemaFile),
  };
}

/**
 * A project held in memory (a store's objects, `/`-separated paths under `source`): never the
 * file system. The registry folder lists files, and the first segment of deeper paths.
 */
export function memoryFiles(
  files: readonly { path: string; content: string }[],
  source: string,
): ProjectFiles {
  const contents = new Map(files.map((f) => [f.path, f.content]));
  const folders = new Set<string>();
  const entries = new Set<string>();
  for (const { path } of files) {
    if (!path.startsWith(`${REGISTRY_FOLDER}/`)) continue;
    const [entry, ...deeper] = path.slice(REGISTRY_FOLDER.length + 1).split("/");
    if (entry === undefined) continue;
    entries.add(entry);
    if (deeper.length > 0 && !contents.has(`${REGISTRY_FOLDER}/${entry}`))
      folders.add(`${REGISTRY_FOLDER}/${entry}`);
  }
  const name = (path: string) => `${source}${path}`;
  return {
    name,
    registryDocuments: async () => (entries.size === 0 ? undefined : sortedYaml(entries)),
    async read(path) {
      const text = contents.get(path);
      if (text !== undefined) return { text };
      if (folders.has(path)) return { problem: `${name(path)} is a folder, not a YAML document` };
      return { problem: `the project has no ${path}` };
    },
    async schemaFile(documentPath, schemaFile, noteRead) {
      // Relative to the document's folder, inside the project; an absolute name leaves it too
      // (the folder loader resolves it as one).
      const target = posix.normalize(posix.join(posix.dirname(documentPath), schemaFile));
      const inside = !target.startsWith("../") && target !== ".." && !target.startsWith("/");
      if (!inside || posix.isAbsolute(schemaFile)) return schemaFileOutside(schemaFile, source);
      noteRead(target);
      return payloadSchemaFromText(schemaFile, name(target), contents.get(target));
    },
  };
}
