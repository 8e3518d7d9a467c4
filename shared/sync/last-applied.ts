/**
 * Planning from the last applied config: an event run may plan a router's changes from the
 * config its last sync brought it to, instead of reading its entities (QUERY), when that
 * config is known exactly — generated again from the last good registry.
 */
import { hasErrors } from "../diagnostics.ts";
import type { RouterConfig } from "../router-config/index.ts";
import type { RouterFlavour } from "../topology/index.ts";
import { configDigest, DesiredConfigs, type DesiredOptions } from "./desired.ts";
import type { ValidProject } from "./generated.ts";
import type { LoadedProject } from "./snapshot.ts";
import type { RouterState } from "./state.ts";

/** A loaded project as a ValidProject, when it has a registry and a topology. */
export function validProjectOf(loaded: LoadedProject | undefined): ValidProject | undefined {
  if (loaded?.registry === undefined || loaded.topology === undefined) return undefined;
  return {
    digest: loaded.snapshot.digest,
    source: loaded.snapshot.source,
    registry: loaded.registry,
    topology: loaded.topology,
  };
}

/**
 * The desired configs of the last good registry (as the state holds it now): what a router
 * was last synced to, if its record says so. Undefined without one, or when it does not
 * load cleanly any more.
 */
export function lastGoodConfigs(
  lastGood: LoadedProject | undefined,
  options: DesiredOptions,
): DesiredConfigs | undefined {
  if (lastGood === undefined || hasErrors(lastGood.diagnostics)) return undefined;
  const project = validProjectOf(lastGood);
  return project === undefined ? undefined : new DesiredConfigs(project, options);
}

/**
 * The config a router was last brought to, when an event run may plan from it: its last
 * sync succeeded with nothing failed or blocked (`appliedConfig`), for the registry the
 * state holds as the last good one, the same router id answers (a restart was ruled out
 * by the caller), and generating that registry again for it — the same principals and
 * config preparation — gives the very config recorded (its digest). Undefined otherwise:
 * then the router is read in full.
 */
export function lastAppliedConfig(
  previous: RouterState | undefined,
  routerId: string,
  flavour: RouterFlavour,
  baseline: DesiredConfigs,
): RouterConfig | undefined {
  if (previous?.appliedConfig === undefined || previous.syncedAt === undefined) return undefined;
  if (previous.routerId !== routerId || previous.syncedDigest !== baseline.digest) return undefined;
  const config = baseline.forRouter(routerId, flavour);
  if ("problem" in config || configDigest(config.config) !== previous.appliedConfig)
    return undefined;
  return config.config;
}
