/** The catalog's files: `<team>.asyncapi.yaml` per team and `catalog.html`, written to a folder. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import type { ChannelRegistry } from "../registry/index.ts";
import type { Topology } from "../topology/index.ts";
import { teamDocumentFile } from "./baseline.ts";
import { CATALOG_PAGE, catalogPage } from "./page.ts";
import { teamDocuments } from "./team-document.ts";
import type { PublishedVersion } from "./version.ts";

/** File name → contents. */
export type CatalogFiles = Map<string, string>;

/** The catalog of a registry; `baselines`: each team's last published version (baseline.ts). */
export function catalogFiles(
  registry: ChannelRegistry,
  topology: Topology,
  baselines: ReadonlyMap<string, PublishedVersion> = new Map(),
): CatalogFiles {
  const files: CatalogFiles = new Map();
  for (const { team, document } of teamDocuments(registry, topology, baselines)) {
    // No YAML anchors: every reader (and the AsyncAPI parser) sees plain values.
    files.set(
      teamDocumentFile(team),
      stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 }),
    );
  }
  files.set(CATALOG_PAGE, catalogPage(registry, topology, baselines));
  return files;
}

/** Writes the files into `outDir` (created when missing); returns the names written. */
export async function writeCatalog(files: CatalogFiles, outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  for (const [name, text] of files) await writeFile(join(outDir, name), text);
  return [...files.keys()];
}
