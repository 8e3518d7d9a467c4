/**
 * The desired config of each router of a valid project: generated for the router's own
 * flavour, prepared for where it runs, and the digest config-sync records of it.
 */
import { createHash } from "node:crypto";
import type { RouterConfig } from "../router-config/index.ts";
import type { RouterFlavour } from "../topology/index.ts";
import { errorLines, generatedConfigs, principalList, type ValidProject } from "./generated.ts";

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
    const result = generatedConfigs(
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
