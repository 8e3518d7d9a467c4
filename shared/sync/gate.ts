/**
 * The safety gate: an invalid registry, one the generator refuses, or one with a breaking
 * payload-schema change whose channel version was not raised (judged against the last good
 * registry) never reaches a router. And the desired configs of the routers, generated as
 * `amqp-mesh generate` would write their files.
 */
import { createHash } from "node:crypto";
import { type Diagnostic, formatDiagnostic, hasErrors, sortDiagnostics } from "../diagnostics.ts";
import {
  type ChannelCompatibility,
  type ChannelRegistry,
  CROSS_TEAM_CODES,
  crossTeamDiagnostics,
  findBreakingChanges,
} from "../registry/index.ts";
import {
  type GenerationResult,
  generateRouterConfigs,
  type RouterConfig,
} from "../router-config/index.ts";
import type { RouterFlavour, Topology } from "../topology/index.ts";
import type { LoadedProject } from "./snapshot.ts";

export interface ValidProject {
  digest: string;
  source: string;
  registry: ChannelRegistry;
  topology: Topology;
}

/**
 * Generated configs lately, by project (source and digest), flavour and principals: the
 * gate's, reused for the routers of the run, and the last good registry's, which the next
 * event run plans from (see run.ts). A few projects' worth, the least recently used going.
 */
const generatedByKey = new Map<string, GenerationResult>();
const GENERATED_KEPT = 8;

function generated(
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

/**
 * Prepared configs per generated config and preparation: a kept generation (the last good
 * registry's) gives the same prepared config, whose digest is then kept too. A preparation
 * is a function of the config alone (the recorded digests rely on that as well).
 */
const preparedConfigs = new WeakMap<
  RouterConfig,
  WeakMap<(config: RouterConfig) => RouterConfig, RouterConfig>
>();

function prepared(
  config: RouterConfig,
  prepare: (config: RouterConfig) => RouterConfig,
): RouterConfig {
  let byPreparation = preparedConfigs.get(config);
  if (byPreparation === undefined) {
    byPreparation = new WeakMap();
    preparedConfigs.set(config, byPreparation);
  }
  let result = byPreparation.get(prepare);
  if (result === undefined) {
    result = prepare(config);
    byPreparation.set(prepare, result);
  }
  return result;
}

const digests = new WeakMap<RouterConfig, string>();

/**
 * The digest of a router's config as it was (or would be) applied: its entities, in order.
 * Kept per config object (the generated ones are kept, and never changed).
 */
export function configDigest(config: RouterConfig): string {
  let digest = digests.get(config);
  if (digest === undefined) {
    digest = createHash("sha256").update(JSON.stringify(config)).digest("hex");
    digests.set(config, digest);
  }
  return digest;
}

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

function errorLines(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic);
}

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
 * an accepted verdict, for DesiredConfigs to reuse.
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
  const generation = generated(project, topology.flavour, principalList(managementPrincipals));
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

function principalList(principals: readonly string[]): string[] {
  return [...new Set(principals)].sort();
}

export interface DesiredOptions {
  /** Principals the routers let manage them (config-sync's own is always among them). */
  managementPrincipals: readonly string[];
  /**
   * Makes a generated config fit for where the router runs (e.g. local certificate paths):
   * a function of the config alone, never changing it; its results are kept per config.
   */
  prepareConfig?: (config: RouterConfig) => RouterConfig;
}

/** The generated config of each router, per flavour (a router's own decides). */
export class DesiredConfigs {
  readonly #project: ValidProject;
  readonly #options: DesiredOptions;

  constructor(project: ValidProject, options: DesiredOptions) {
    this.#project = project;
    this.#options = options;
  }

  get digest(): string {
    return this.#project.digest;
  }

  /** The router's desired config, or why there is none. */
  forRouter(
    routerId: string,
    flavour: RouterFlavour,
  ): { config: RouterConfig } | { problem: string } {
    const result = generated(
      this.#project,
      flavour,
      principalList(this.#options.managementPrincipals),
    );
    const errors = errorLines(result.diagnostics);
    if (errors.length > 0)
      return {
        problem: `the registry cannot be generated for ${flavour}: ${errors.join("; ")}`,
      };
    const config = result.configs.find((c) => c.routerId === routerId);
    if (config === undefined)
      return {
        problem: `router '${routerId}' is not in the topology of ${this.#project.source}: add it there, or sync only the topology's routers`,
      };
    const prepare = this.#options.prepareConfig;
    return { config: prepare === undefined ? config : prepared(config, prepare) };
  }
}
