import { formatDiagnostic, hasErrors } from "../../shared/diagnostics.ts";
import { type ChannelCompatibility, findBreakingChanges } from "../../shared/registry/index.ts";
import {
  formatRouterPlans,
  generateRouterConfigs,
  planRouterChanges,
  type RouterConfig,
} from "../../shared/router-config/index.ts";
import type { CommandArgs, CommandOptions } from "../args.ts";
import { defineCommand } from "../command.ts";
import { loadValidProject, type ValidProject } from "../load-project.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

const options = {
  json: { type: "boolean", help: "the plans and breaking changes as JSON" },
} as const satisfies CommandOptions;

/**
 * `amqp-mesh diff <old-dir> <new-dir> [--json]`: the router entities config-sync would
 * create, delete and update (and the changes only a router restart makes), and the breaking
 * payload schema changes. Exit 1 when either project is invalid or cannot be generated
 * (`generate` would refuse it: the errors are printed with file and line, no plan), or has a
 * breaking change whose channel version was not raised.
 */
export const diffCommand = defineCommand({
  name: "diff",
  summary: "what a registry change would do to each router",
  args: "<old-dir> <new-dir>",
  description:
    "Per router, the entities config-sync would create, delete and update live, and the\n" +
    "changes only a router restart applies; the breaking payload schema changes per channel.\n" +
    "Exit 1 when either project is invalid or cannot be generated, or a breaking change has\n" +
    "no raised channel version.",
  options,
  examples: ["diff examples my-changed-examples"],
  run: runDiff,
});

async function runDiff(args: CommandArgs<typeof options>): Promise<number> {
  if (args.positionals.length !== 2) throw new UsageError("diff takes <old-dir> <new-dir>");
  const oldDir = await projectDir(args.positionals[0], "<old-dir>");
  const newDir = await projectDir(args.positionals[1], "<new-dir>");
  const before = await loadValidProject(oldDir);
  const after = await loadValidProject(newDir);
  if (before === undefined || after === undefined) return 1;

  const oldConfigs = configsOf(before, "<old-dir>");
  const newConfigs = configsOf(after, "<new-dir>");
  if (oldConfigs === undefined || newConfigs === undefined) return 1;
  const plans = planRouterChanges(oldConfigs, newConfigs);
  const breaking = findBreakingChanges(before.registry, after.registry);
  const refused = breaking.filter((c) => !c.allowed);

  if (args.values.json === true) {
    console.log(JSON.stringify({ routers: plans, breakingChanges: breaking }, null, 2));
  } else {
    process.stdout.write(formatRouterPlans(plans));
    console.log(formatBreakingChanges(breaking));
  }
  return refused.length > 0 ? 1 : 0;
}

/**
 * The configs `generate` would write, or undefined (errors printed) when it would refuse:
 * a plan without the refused channels would show them as deleted.
 */
function configsOf(project: ValidProject, which: string): RouterConfig[] | undefined {
  const { configs, diagnostics } = generateRouterConfigs(project.registry, project.topology);
  for (const d of diagnostics) console.error(formatDiagnostic(d));
  if (!hasErrors(diagnostics)) return configs;
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  console.error(
    `diff: ${which} ${project.dir} cannot be generated (${errors} error${errors === 1 ? "" : "s"}); no plan, fix the errors above`,
  );
  return undefined;
}

export function formatBreakingChanges(channels: readonly ChannelCompatibility[]): string {
  if (channels.length === 0) return "no breaking payload schema changes";
  const lines: string[] = [];
  for (const channel of channels) {
    const verdict = channel.allowed
      ? `allowed: version raised to ${channel.nextVersion}`
      : "refused: raise the channel's version to allow it";
    lines.push(
      `${channel.address} (${channel.owner}): ${channel.changes.length} breaking — ${verdict}`,
    );
    for (const change of channel.changes)
      lines.push(`  ${change.pointer || "/"}: ${change.message}`);
  }
  return lines.join("\n");
}
