/** `amqp-mesh catalog <dir> --out <dir>`: the registry as AsyncAPI documents and a page to browse. */
import { resolve } from "node:path";
import { catalogFiles, writeCatalog } from "../../shared/catalog/index.ts";
import { loadValidProject } from "../load-project.ts";
import type { ParsedArgs } from "../main.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

export const CATALOG_OPTIONS = { out: { type: "string" } } as const;

/** Exit 0 written, 1 invalid project (nothing written). */
export async function runCatalog(args: ParsedArgs): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError("catalog takes one <dir>");
  const dir = await projectDir(args.positionals[0]);
  const out = args.values.out;
  if (typeof out !== "string" || out === "") throw new UsageError("catalog needs --out <dir>");
  const project = await loadValidProject(dir);
  if (project === undefined) return 1;
  const outDir = resolve(out);
  const written = await writeCatalog(catalogFiles(project.registry, project.topology), outDir);
  console.log(`wrote ${written.length} files to ${outDir}`);
  for (const name of written) console.log(`  ${name}`);
  return 0;
}
