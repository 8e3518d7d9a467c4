import { type ChannelCompatibility, findBreakingChanges } from "../../shared/registry/index.ts";
import {
  formatRouterPlans,
  generateRouterConfigs,
  planRouterChanges,
} from "../../shared/router-config/index.ts";
import { loadValidProject, type ValidProject } from "../load-project.ts";
import type { ParsedArgs } from "../main.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

/**
 * `amqp-mesh diff <old-dir> <new-dir> [--json]`: the router entities config-sync would
 * create and delete, and the breaking payload schema changes. Exit 1 when the new project
 * is invalid or has a breaking change whose channel version was not raised.
 */
export async function runDiff(args: ParsedArgs): Promise<number> {
  if (args.positionals.length !== 2) throw new UsageError("diff takes <old-dir> <new-dir>");
  const oldDir = await projectDir(args.positionals[0], "<old-dir>");
  const newDir = await projectDir(args.positionals[1], "<new-dir>");
  const before = await loadValidProject(oldDir);
  const after = await loadValidProject(newDir);
  if (before === undefined || after === undefined) return 1;

  const plans = planRouterChanges(configsOf(before), configsOf(after));
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

function configsOf(project: ValidProject) {
  return generateRouterConfigs(project.registry, project.topology).configs;
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
