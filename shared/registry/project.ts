import { join } from "node:path";
import { type Diagnostic, sortDiagnostics } from "../diagnostics.ts";
import { loadTopology } from "../topology/load.ts";
import type { Topology } from "../topology/schema.ts";
import { validateTopology } from "../topology/validate.ts";
import { loadRegistry } from "./load.ts";
import type { ChannelRegistry } from "./model.ts";
import { validateRegistry } from "./validate.ts";

export interface ProjectValidation {
  /** Present when topology.yaml parsed and matched the format (it may still break rules). */
  topology?: Topology;
  /** Present always; holds the team documents and channels that could be read. */
  registry?: ChannelRegistry;
  /** Every problem of the project, sorted by file and position. */
  diagnostics: Diagnostic[];
}

/** Loads `<dir>/topology.yaml` and `<dir>/registry/`, runs every rule, returns all findings. */
export async function validateProject(dir: string): Promise<ProjectValidation> {
  const [loadedTopology, loadedRegistry] = await Promise.all([
    loadTopology(join(dir, "topology.yaml")),
    loadRegistry(dir),
  ]);
  const { topology } = loadedTopology;
  const { registry } = loadedRegistry;
  const diagnostics = [
    ...loadedTopology.diagnostics,
    ...(topology ? validateTopology(topology, loadedTopology.source) : []),
    ...loadedRegistry.diagnostics,
    ...validateRegistry(registry, topology),
  ];
  return { ...(topology ? { topology } : {}), registry, diagnostics: sortDiagnostics(diagnostics) };
}
