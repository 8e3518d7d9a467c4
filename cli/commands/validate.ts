import { type Diagnostic, formatDiagnostic } from "../../shared/diagnostics.ts";
import { validateProject } from "../../shared/registry/index.ts";
import { projectSummary } from "../load-project.ts";
import type { ParsedArgs } from "../main.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

/** `amqp-mesh validate <dir> [--json]`: exit 0 valid, 1 invalid. */
export async function runValidate(args: ParsedArgs): Promise<number> {
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
