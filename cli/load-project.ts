import { type Diagnostic, formatDiagnostic, hasErrors } from "../shared/diagnostics.ts";
import type { ChannelRegistry } from "../shared/registry/index.ts";
import { validateProject } from "../shared/registry/index.ts";
import type { Topology } from "../shared/topology/index.ts";

export interface ValidProject {
  dir: string;
  topology: Topology;
  registry: ChannelRegistry;
  diagnostics: Diagnostic[];
}

/**
 * Validate a project folder; print its problems to stderr. Returns the project when it has
 * no errors (warnings are printed and allowed), otherwise undefined.
 */
export async function loadValidProject(dir: string): Promise<ValidProject | undefined> {
  const { topology, registry, diagnostics } = await validateProject(dir);
  for (const d of diagnostics) console.error(formatDiagnostic(d));
  if (hasErrors(diagnostics) || topology === undefined || registry === undefined) {
    const errors = diagnostics.filter((d) => d.severity === "error").length;
    console.error(`${dir}: invalid (${errors} error${errors === 1 ? "" : "s"})`);
    return undefined;
  }
  return { dir, topology, registry, diagnostics };
}

export function projectSummary(topology: Topology, registry: ChannelRegistry): string {
  const interiors = topology.routers.filter((r) => r.mode === "interior").length;
  const edges = topology.routers.length - interiors;
  return (
    `${registry.teams.length} teams, ${registry.channels.length} channels; ` +
    `${topology.environments.length} environments, ${interiors} interior and ${edges} edge routers, ` +
    `${topology.brokers.length} brokers (${topology.flavour})`
  );
}
