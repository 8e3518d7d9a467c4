/**
 * The router configs generated for a registry that passed the gate, as `amqp-mesh generate`
 * would write them: per project, flavour and management principals, the last few kept (the
 * gate's are reused for the routers of the run, the last good registry's for the next).
 */
import { type Diagnostic, formatDiagnostic } from "../diagnostics.ts";
import type { ChannelRegistry } from "../registry/index.ts";
import { type GenerationResult, generateRouterConfigs } from "../router-config/index.ts";
import type { RouterFlavour, Topology } from "../topology/index.ts";

/** A registry that passed the gate (or the last good one standing in for a refused one). */
export interface ValidProject {
  digest: string;
  source: string;
  registry: ChannelRegistry;
  topology: Topology;
}

/**
 * Generated configs lately, by project (source and digest), flavour and principals: the
 * gate's, reused for the routers of the run, and the last good registry's, which the next
 * event run plans from (see last-applied.ts). A few projects' worth, the least recently
 * used going.
 */
const generatedByKey = new Map<string, GenerationResult>();
const GENERATED_KEPT = 8;

export function generatedConfigs(
  project: ValidProject,
  flavour: RouterFlavour,
  principals: readonly string[],
): GenerationResult {
  const key = `${project.source}\n${project.digest}\n${flavour}\n${principals.join("\n")}`;
  let result = generatedByKey.get(key);
  if (result === undefined) {
    result = generateRouterConfigs(project.registry, project.topology, {
      flavour,
      managementPrincipals: [...principals],
    });
    while (generatedByKey.size >= GENERATED_KEPT)
      generatedByKey.delete(generatedByKey.keys().next().value!);
  } else {
    generatedByKey.delete(key);
  }
  generatedByKey.set(key, result);
  return result;
}

/** Principals as the generator is given them: each once, sorted (one cache key per set). */
export function principalList(principals: readonly string[]): string[] {
  return [...new Set(principals)].sort();
}

/** The errors among diagnostics, one line each with file and position. */
export function errorLines(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic);
}
