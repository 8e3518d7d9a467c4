/**
 * The safety gate: an invalid registry, one the generator refuses, or one with a breaking
 * payload-schema change whose channel version was not raised (judged against the last good
 * registry) never reaches a router.
 */
import { type Diagnostic, formatDiagnostic, hasErrors, sortDiagnostics } from "../diagnostics.ts";
import {
  type ChannelCompatibility,
  CROSS_TEAM_CODES,
  crossTeamDiagnostics,
  findBreakingChanges,
} from "../registry/index.ts";
import { errorLines, generatedConfigs, principalList, type ValidProject } from "./generated.ts";
import type { LoadedProject } from "./snapshot.ts";

export type GateVerdict =
  | {
      accepted: true;
      project: ValidProject;
      /** Breaking changes whose channel version was raised (allowed). */
      breaking: ChannelCompatibility[];
      /** Warnings, and notes such as "no last good registry to compare with". */
      notes: string[];
    }
  | {
      accepted: false;
      reason: "invalid" | "not-generated" | "breaking";
      /** One line per problem, each with its file and position or channel and the fix. */
      problems: string[];
      breaking: ChannelCompatibility[];
    };

function breakingLine(change: ChannelCompatibility): string {
  const details = change.changes.map((c) => `${c.pointer || "/"}: ${c.message}`).join("; ");
  return `${change.address} (${change.owner}): breaking change without a raised channel version (still ${change.previousVersion}) — ${details} (raise the channel's version to allow it)`;
}

/**
 * The project's findings with the rules across teams judged against the last good registry:
 * a conflict is reported on the document that introduced it, and a name, address or queue
 * handed to another team in one change is refused (registry/owner-changed).
 */
function judgedAgainstLastGood(
  current: LoadedProject,
  lastGood: LoadedProject | undefined,
): Diagnostic[] {
  const registry = current.registry;
  const previous = lastGood?.registry;
  if (registry === undefined || previous === undefined) return current.diagnostics;
  return sortDiagnostics([
    ...current.diagnostics.filter((d) => !CROSS_TEAM_CODES.has(d.code)),
    ...crossTeamDiagnostics(registry, { lastGood: previous }),
  ]);
}

/**
 * Judges a loaded project against the last good one (undefined on the first run). The
 * configs it generates (the topology's flavour, with `managementPrincipals`) come back with
 * an accepted verdict, for DesiredConfigs (desired.ts) to reuse.
 */
export function checkRegistry(
  current: LoadedProject,
  lastGood: LoadedProject | undefined,
  managementPrincipals: readonly string[] = [],
): GateVerdict {
  const { registry, topology, snapshot } = current;
  const diagnostics = judgedAgainstLastGood(current, lastGood);
  if (hasErrors(diagnostics) || registry === undefined || topology === undefined) {
    const problems = errorLines(diagnostics);
    return {
      accepted: false,
      reason: "invalid",
      problems:
        problems.length > 0 ? problems : [`${snapshot.source}: no registry project could be read`],
      breaking: [],
    };
  }
  const project: ValidProject = {
    digest: snapshot.digest,
    source: snapshot.source,
    registry,
    topology,
  };
  const generation = generatedConfigs(
    project,
    topology.flavour,
    principalList(managementPrincipals),
  );
  if (hasErrors(generation.diagnostics)) {
    return {
      accepted: false,
      reason: "not-generated",
      problems: errorLines(generation.diagnostics),
      breaking: [],
    };
  }
  const notes = [...diagnostics, ...generation.diagnostics]
    .filter((d) => d.severity === "warning")
    .map(formatDiagnostic);
  let breaking: ChannelCompatibility[] = [];
  if (lastGood?.registry === undefined) {
    notes.push(
      "no last good registry recorded: breaking payload schema changes could not be checked",
    );
  } else {
    breaking = findBreakingChanges(lastGood.registry, registry);
    // A removed channel is never "allowed" by a version (there is none left to raise), but
    // removing channels must stay possible: it is reported, and its entities go.
    const removed = breaking.filter((c) => c.changes.every((x) => x.kind === "channel-removed"));
    for (const channel of removed)
      notes.push(
        `channel '${channel.address}' (${channel.owner}) was removed: its address and rights go from the routers`,
      );
    const refused = breaking.filter((c) => !c.allowed && !removed.includes(c));
    if (refused.length > 0)
      return { accepted: false, reason: "breaking", problems: refused.map(breakingLine), breaking };
  }
  return { accepted: true, project, breaking, notes };
}
