/**
 * Router configs of a valid project, written where they are asked for: what `generate` writes
 * and what the local platform starts its routers from.
 */
import { formatDiagnostic, hasErrors } from "../shared/diagnostics.ts";
import {
  type ConfigSetSummary,
  generateRouterConfigs,
  type RouterConfigFormat,
  renderSaslConfig,
  writeRouterConfigs,
} from "../shared/router-config/index.ts";
import type { RouterFlavour } from "../shared/topology/index.ts";
import type { ValidProject } from "./load-project.ts";

export const FORMATS = ["conf", "json", "both"] as const satisfies readonly (
  | RouterConfigFormat
  | "both"
)[];
export type Format = (typeof FORMATS)[number];

/** Generate and write the configs; diagnostics go to stderr. Undefined when generation failed. */
export async function generateInto(
  project: ValidProject,
  outDir: string,
  options: {
    flavour?: RouterFlavour | undefined;
    format: Format;
    /** Principals the routers' vhost policies let use $management (config-sync's login). */
    managementPrincipals?: string[];
    /** "startup": without channels, for routers config-sync brings them to. */
    entities?: "full" | "startup";
  },
): Promise<ConfigSetSummary | undefined> {
  const { configs, diagnostics } = generateRouterConfigs(project.registry, project.topology, {
    ...(options.flavour ? { flavour: options.flavour } : {}),
    ...(options.managementPrincipals ? { managementPrincipals: options.managementPrincipals } : {}),
    ...(options.entities ? { entities: options.entities } : {}),
  });
  for (const d of diagnostics) console.error(formatDiagnostic(d));
  if (hasErrors(diagnostics)) {
    console.error("generate: no configs written, fix the errors above");
    return undefined;
  }
  return writeRouterConfigs(configs, outDir, {
    format: options.format,
    saslConfig: renderSaslConfig(project.topology.sasl),
  });
}
