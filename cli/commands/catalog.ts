/** `amqp-mesh catalog <dir> --out <dir>`: the registry as AsyncAPI documents and a page to browse. */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import {
  CatalogBaselineError,
  catalogFiles,
  readPublishedVersions,
  writeCatalog,
} from "../../shared/catalog/index.ts";
import type { CommandArgs, CommandOptions } from "../args.ts";
import { defineCommand } from "../command.ts";
import { loadValidProject } from "../load-project.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

const options = {
  out: {
    type: "string",
    value: "<dir>",
    help: "the folder to write the documents and catalog.html to",
  },
  previous: {
    type: "string",
    value: "<dir>",
    help: "the last published catalog, the baseline of the versions (default: --out's documents)",
  },
} as const satisfies CommandOptions;

export const catalogCommand = defineCommand({
  name: "catalog",
  summary: "AsyncAPI 3.0 documents per team and an offline page to browse the channels",
  args: "<dir>",
  description:
    "One AsyncAPI 3.0 document per team (<team>.asyncapi.yaml) and catalog.html, one page to\n" +
    "browse the channels offline (schemas, example messages, how to connect).\n" +
    "A team document's major version rises with every breaking change: counted on from the\n" +
    "last published document (the one in --out, or in --previous) — + each channel's version\n" +
    "rise, + 1 when a channel was removed — or, without one, 1 + the rises of its channels.\n" +
    "Exit 0 written, 1 invalid project or unreadable last catalog (nothing written).",
  options,
  examples: [
    "catalog examples --out out/catalog",
    "catalog examples --out out/catalog-next --previous out/catalog",
  ],
  run: runCatalog,
});

/** Exit 0 written, 1 invalid project or unreadable baseline (nothing written). */
async function runCatalog(args: CommandArgs<typeof options>): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError("catalog takes one <dir>");
  const dir = await projectDir(args.positionals[0]);
  const out = args.values.out;
  if (typeof out !== "string" || out === "") throw new UsageError("catalog needs --out <dir>");
  const project = await loadValidProject(dir);
  if (project === undefined) return 1;
  const outDir = resolve(out);
  const previous = args.values.previous;
  if (previous === "") throw new UsageError("--previous needs a <dir>");
  if (typeof previous === "string" && !(await isFolder(resolve(previous)))) {
    console.error(`catalog: --previous ${previous} is not a folder (the last published catalog)`);
    return 1;
  }
  const teams = project.registry.teams.map((t) => t.team);
  let baselines: Awaited<ReturnType<typeof readPublishedVersions>>;
  try {
    baselines = await readPublishedVersions(
      typeof previous === "string" ? resolve(previous) : outDir,
      teams,
    );
  } catch (error) {
    if (!(error instanceof CatalogBaselineError)) throw error;
    console.error(`catalog: ${error.message}`);
    return 1;
  }
  const files = catalogFiles(project.registry, project.topology, baselines);
  const written = await writeCatalog(files, outDir);
  console.log(`wrote ${written.length} files to ${outDir}`);
  for (const name of written) console.log(`  ${name}`);
  for (const team of teams) {
    const before = baselines.get(team);
    const now = majorOf(files.get(`${team}.asyncapi.yaml`));
    if (before !== undefined && now !== undefined && now !== before.major)
      console.log(`${team}: major version ${before.major} → ${now} (a breaking change)`);
  }
  return 0;
}

async function isFolder(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** The major version written in a team document's text (its `info.version`). */
function majorOf(text: string | undefined): number | undefined {
  const match = text === undefined ? null : /^ {2}version: "?(\d+)\./m.exec(text);
  return match === null ? undefined : Number(match[1]);
}
