import { resolve } from "node:path";
import {
  type ConfigSetSummary,
  isPolicyUserName,
  type RouterConfigFormat,
} from "../../shared/router-config/index.ts";
import { RouterFlavour } from "../../shared/topology/index.ts";
import type { CommandArgs, CommandOptions } from "../args.ts";
import { defineCommand } from "../command.ts";
import { loadValidProject, projectSummary } from "../load-project.ts";
import { projectDir } from "../project-dir.ts";
import { FORMATS, type Format, generateInto } from "../router-configs.ts";
import { UsageError } from "../usage.ts";

const options = {
  out: { type: "string", value: "<dir>", help: "where the configs go (required)" },
  flavour: {
    type: "string",
    value: "<flavour>",
    help: `the routers' config flavour: ${RouterFlavour.options.join(" | ")} (default: the topology's)`,
  },
  format: {
    type: "string",
    value: "<format>",
    help: `the file format: ${FORMATS.join(" | ")} (default conf)`,
  },
  "management-principal": {
    type: "string",
    multiple: true,
    value: "<name>",
    help: "a login that may use every router's $management (config-sync's); repeat for more",
  },
} as const satisfies CommandOptions;

/**
 * `amqp-mesh generate <dir> --out <dir> [--flavour f] [--format conf|json|both]
 * [--management-principal <name>...]`.
 */
export const generateCommand = defineCommand({
  name: "generate",
  summary: "write one router config per router of the topology",
  args: "<dir>",
  description:
    "Writes one config file per router, in the router's own format, and summary.json.\n" +
    "Exit 1 when the project is invalid or cannot be generated (nothing is written).",
  options,
  examples: [
    "generate examples --out out/configs",
    "generate examples --out out/configs --flavour skupper-router --format both --management-principal config-sync",
  ],
  run: runGenerate,
});

async function runGenerate(args: CommandArgs<typeof options>): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError("generate takes one <dir>");
  const dir = await projectDir(args.positionals[0]);
  const out = args.values.out;
  if (typeof out !== "string" || out === "") throw new UsageError("generate needs --out <dir>");
  const flavour = parseFlavour(args.values.flavour);
  const format = parseFormat(args.values.format);
  const managementPrincipals = principalNames(args.values["management-principal"]);

  const project = await loadValidProject(dir);
  if (project === undefined) return 1;
  const summary = await generateInto(project, resolve(out), {
    flavour,
    format,
    managementPrincipals,
  });
  if (summary === undefined) return 1;
  console.log(`${dir}: ${projectSummary(project.topology, project.registry)}`);
  console.log(formatConfigSummary(summary, resolve(out)));
  return 0;
}

export function formatConfigSummary(summary: ConfigSetSummary, outDir: string): string {
  const lines = [`wrote ${summary.routers.length} router configs to ${outDir}`];
  for (const router of summary.routers) {
    const counts = Object.entries(router.entityCounts)
      .map(([type, n]) => `${n} ${type}`)
      .join(", ");
    lines.push(`  ${router.routerId} (${router.mode}, ${router.flavour}): ${counts}`);
  }
  return lines.join("\n");
}

function parseFlavour(value: string | boolean | undefined): RouterFlavour | undefined {
  if (value === undefined) return undefined;
  const parsed = RouterFlavour.safeParse(value);
  if (!parsed.success)
    throw new UsageError(`--flavour must be one of ${RouterFlavour.options.join(", ")}`);
  return parsed.data;
}

function parseFormat(value: string | boolean | undefined): Format {
  if (value === undefined) return "conf";
  if (typeof value === "string" && (FORMATS as readonly string[]).includes(value))
    return value as RouterConfigFormat | "both";
  throw new UsageError(`--format must be one of ${FORMATS.join(", ")}`);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what this refuses
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * `--management-principal` names, one per flag: SASL user names, as a vhost policy's user
 * list holds them (no comma, no surrounding blanks).
 */
function principalNames(value: string | boolean | string[] | undefined): string[] {
  if (value === undefined) return [];
  const names = Array.isArray(value) ? value : [String(value)];
  for (const name of names)
    if (!isPolicyUserName(name) || CONTROL_CHARACTER.test(name))
      throw new UsageError(
        `--management-principal ${JSON.stringify(name)} cannot be a vhost policy user: it is empty, or holds a comma, surrounding blanks or a control character`,
      );
  return names;
}
