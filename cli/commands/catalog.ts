/** `amqp-mesh catalog <dir> --out <dir>`: the registry as AsyncAPI documents and a page to browse. */
import { resolve } from "node:path";
import { catalogFiles, writeCatalog } from "../../shared/catalog/index.ts";
import { type CommandArgs, type CommandOptions, defineCommand } from "../command.ts";
import { loadValidProject } from "../load-project.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

const options = {
  out: {
    type: "string",
    value: "<dir>",
    help: "the folder to write the documents and catalog.html to",
  },
} as const satisfies CommandOptions;

export const catalogCommand = defineCommand({
  name: "catalog",
  summary: "AsyncAPI 3.0 documents per team and an offline page to browse the channels",
  args: "<dir>",
  description:
    "One AsyncAPI 3.0 document per team (<team>.asyncapi.yaml) and catalog.html, one page to\n" +
    "browse the channels offline (schemas, example messages, how to connect).\n" +
    "Exit 0 written, 1 invalid project (nothing written).",
  options,
  examples: ["catalog examples --out out/catalog"],
  run: runCatalog,
});

/** Exit 0 written, 1 invalid project (nothing written). */
async function runCatalog(args: CommandArgs<typeof options>): Promise<number> {
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
