import { type Diagnostic, formatDiagnostic } from "../../shared/diagnostics.ts";
import { validateProject } from "../../shared/registry/index.ts";
import type { CommandArgs, CommandOptions } from "../args.ts";
import { defineCommand } from "../command.ts";
import { projectSummary } from "../load-project.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

const options = {
  json: { type: "boolean", help: "the report as JSON: valid, counts, summary, diagnostics" },
} as const satisfies CommandOptions;

/** `amqp-mesh validate <dir> [--json]`: exit 0 valid, 1 invalid. */
export const validateCommand = defineCommand({
  name: "validate",
  summary: "check a project's topology and channel registry",
  args: "<dir>",
  description:
    "Validates <dir>/topology.yaml and <dir>/registry/*.yaml: every problem with its file,\n" +
    "line, column, path and a fix hint. Exit 0 valid (warnings allowed), 1 invalid.",
  options,
  examples: ["validate examples", "validate examples --json"],
  run: runValidate,
});

async function runValidate(args: CommandArgs<typeof options>): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError("validate takes one <dir>");
  const dir = await projectDir(args.positionals[0]);
  const { topology, registry, diagnostics } = await validateProject(dir);
  const count = (severity: Diagnostic["severity"]) =>
    diagnostics.filter((d) => d.severity === severity).length;
  const errors = count("error");
  const warnings = count("warning");
  const valid = errors === 0;

  if (args.values.json === true) {
    const summary =
      topology && registry
        ? {
            teams: registry.teams.length,
            channels: registry.channels.length,
            routers: topology.routers.length,
            environments: topology.environments.length,
            brokers: topology.brokers.length,
          }
        : undefined;
    console.log(JSON.stringify({ valid, errors, warnings, summary, diagnostics }, null, 2));
  } else {
    for (const d of diagnostics) console.log(formatDiagnostic(d));
    const counts = `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`;
    const summary = topology && registry ? `: ${projectSummary(topology, registry)}` : "";
    console.log(`${valid ? "valid" : "invalid"} (${counts})${valid ? summary : ""}`);
  }
  return valid ? 0 : 1;
}
