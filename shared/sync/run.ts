/**
 * One config-sync run: read the registry from its store, pass it through the safety gate,
 * and bring every router to it — each on its own, in parallel, so one unreachable router
 * does not stop the others (it is retried on the next run).
 *
 * Which registry version wins when events come close together: a run never trusts its
 * event's payload, it reads the store as it is (every object with its ETag; a snapshot
 * never mixes two uploads). When it is done it lists the store again: if the ETags changed
 * meanwhile, a newer upload came in, and it runs another pass. So a run that read an older
 * version cannot end the day on it, and a replayed event just finds the routers in sync.
 */
import { redactUrl } from "../amqp/index.ts";
import { hasErrors } from "../diagnostics.ts";
import {
  type ManagementOperationEvent,
  ManagementPool,
  type ManagementTarget,
  ManagementUnreachableError,
  type OpenOptions,
} from "../management/index.ts";
import type { RouterConfig } from "../router-config/index.ts";
import type { RouterFlavour } from "../topology/index.ts";
import { readActualState, readRouterIdentity } from "./actual.ts";
import { type AppliedStep, applySyncPlan } from "./apply.ts";
import { bootTimeOf, hasRestarted, mayHaveRestarted, needsFullSync } from "./drift.ts";
import { checkRegistry, configDigest, DesiredConfigs, type ValidProject } from "./gate.ts";
import { operationCounts, planFromLastApplied, planSync, type SyncPlan } from "./plan.ts";
import { ProjectLoader } from "./project-loader.ts";
import {
  type RegistryVerdict,
  type RouterSyncResult,
  SILENT_LOGGER,
  type SyncLogger,
  type SyncReport,
  totalsOf,
} from "./report.ts";
import { type LoadedProject, makeSnapshot, SnapshotError } from "./snapshot.ts";
import { type RegistrySource, shortDigest } from "./source.ts";
import { lastGoodOf, type RouterState, type SyncStateStore } from "./state.ts";

export interface SyncRunOptions {
  source: RegistrySource;
  routers: readonly ManagementTarget[];
  state: SyncStateStore;
  /** `event` (a registry change; the default) or `schedule` (drift: restarts, lost events). */
  mode?: "event" | "schedule";
  /** Plan only: QUERY, no CREATE/UPDATE/DELETE, no state written. */
  dryRun?: boolean;
  /** Principals the routers let manage them; the targets' own SASL users are always added. */
  managementPrincipals?: readonly string[];
  /**
   * Makes a generated config fit for where the router runs (e.g. local certificate paths):
   * a function of the config alone (its results are kept per config, and event runs compare
   * their digests with the state's), never changing its argument.
   */
  prepareConfig?: (config: RouterConfig) => RouterConfig;
  /** Scheduled runs sync a router fully at least this often (default 15 min). */
  fullSyncIntervalMs?: number;
  /** Boot time moves (seen − uptime) smaller than this are no restart (default 5 s). */
  restartToleranceMs?: number;
  /** Passes when uploads keep coming during the run (default 3). */
  maxRounds?: number;
  /** Keeps validated files for later runs; the process's own one by default (warm functions). */
  loader?: ProjectLoader;
  /** Open management sessions to reuse (warm functions); one is made and closed otherwise. */
  pool?: ManagementPool;
  /** Timeouts of sessions this run opens. */
  open?: Omit<OpenOptions, "onOperation">;
  /** Independent management requests in flight per router (default 8). */
  concurrency?: number;
  logger?: SyncLogger;
  now?: () => number;
  /**
   * Called once per pass whose registry passed the gate, after its routers were synced (not
   * on a dry run, nor when the last good registry stood in for a refused one): config-sync
   * publishes the registry the ingress and the triggers enforce from there (function.ts).
   */
  onAccepted?: (project: ValidProject) => Promise<void>;
}

/** A log sink for the management operations of a pool: one line each. */
export function operationLogger(logger: SyncLogger): (event: ManagementOperationEvent) => void {
  return (event) => {
    const fields = {
      router: event.router,
      operation: event.operation,
      entityType: event.entityType,
      name: event.name,
      statusCode: event.statusCode,
      durationMs: event.durationMs,
    };
    if (event.error === undefined) logger.info("management operation", fields);
    else logger.warn("management operation failed", { ...fields, error: event.error.message });
  };
}

const FIFTEEN_MINUTES = 15 * 60 * 1000;

/**
 * Files validated lately, by content (project-loader.ts): a warm function, the next pass, or
 * the last good registry loaded next to the new one, parses and checks only what changed.
 */
const sharedLoader = new ProjectLoader();

function verdictOf(source: string): RegistryVerdict {
  return {
    source,
    digest: undefined,
    revision: undefined,
    accepted: false,
    reason: undefined,
    problems: [],
    notes: [],
    breakingChanges: [],
    usedLastGood: false,
  };
}

export async function runSync(options: SyncRunOptions): Promise<SyncReport> {
  const logger = options.logger ?? SILENT_LOGGER;
  const now = options.now ?? Date.now;
  const mode = options.mode ?? "event";
  const dryRun = options.dryRun ?? false;
  const maxRounds = options.maxRounds ?? 3;
  const loader = options.loader ?? sharedLoader;
  const ownPool = options.pool === undefined;
  const pool =
    options.pool ?? new ManagementPool({ ...options.open, onOperation: operationLogger(logger) });
  const state = await options.state.read();
  const principals = [
    ...(options.managementPrincipals ?? []),
    ...options.routers.flatMap((t) => (t.sasl?.username === undefined ? [] : [t.sasl.username])),
  ];
  let lastGood: LoadedProject | undefined;
  const lastGoodRead = state.lastGood;
  if (state.lastGood !== undefined) {
    const { files, source, revision } = state.lastGood;
    lastGood = await loader.load(makeSnapshot(files, source, revision));
  }

  const desiredOptions = {
    managementPrincipals: principals,
    ...(options.prepareConfig === undefined ? {} : { prepareConfig: options.prepareConfig }),
  };

  /**
   * The desired configs of the last good registry as the state holds it now (the previous
   * pass's, or the previous run's): what a router was last synced to, if its record says so.
   */
  async function lastAppliedBaseline(): Promise<DesiredConfigs | undefined> {
    if (state.lastGood === undefined) return undefined;
    const { files, source, revision } = state.lastGood;
    const loaded =
      state.lastGood === lastGoodRead && lastGood !== undefined
        ? lastGood
        : await loader.load(makeSnapshot(files, source, revision));
    if (hasErrors(loaded.diagnostics) || !loaded.registry || !loaded.topology) return undefined;
    return new DesiredConfigs(
      {
        digest: loaded.snapshot.digest,
        source: loaded.snapshot.source,
        registry: loaded.registry,
        topology: loaded.topology,
      },
      desiredOptions,
    );
  }

  let rounds = 0;
  let verdict = verdictOf(options.source.description);
  let results: RouterSyncResult[] = [];
  try {
    for (;;) {
      rounds++;
      verdict = verdictOf(options.source.description);
      let loaded: LoadedProject;
      try {
        loaded = await loader.load(await options.source.read());
      } catch (error) {
        if (!(error instanceof SnapshotError)) throw error;
        verdict.reason = "unreadable";
        verdict.problems = [error.message];
        logger.error("registry refused", {
          source: verdict.source,
          reason: "unreadable",
          problems: verdict.problems,
        });
        return finish([], verdict);
      }
      const { snapshot } = loaded;
      verdict.digest = snapshot.digest;
      verdict.revision = snapshot.revision;
      const gate = checkRegistry(loaded, lastGood, principals);
      let project: ValidProject | undefined;
      if (gate.accepted) {
        verdict.accepted = true;
        verdict.notes = gate.notes;
        verdict.breakingChanges = gate.breaking;
        project = gate.project;
        logger.info("registry accepted", {
          source: verdict.source,
          digest: shortDigest(snapshot.digest),
          breakingAllowed: gate.breaking.length,
        });
      } else {
        verdict.reason = gate.reason;
        verdict.problems = gate.problems;
        verdict.breakingChanges = gate.breaking;
        logger.error("registry refused", {
          source: verdict.source,
          digest: shortDigest(snapshot.digest),
          reason: gate.reason,
          problems: gate.problems,
        });
        // Restarted routers get the last good registry back; a registry change event sends nothing.
        if (
          mode === "schedule" &&
          lastGood?.registry !== undefined &&
          lastGood.topology !== undefined
        ) {
          verdict.usedLastGood = true;
          project = {
            digest: lastGood.snapshot.digest,
            source: lastGood.snapshot.source,
            registry: lastGood.registry,
            topology: lastGood.topology,
          };
        } else {
          return finish([], verdict);
        }
      }
      const desired = new DesiredConfigs(project, desiredOptions);
      const baseline = mode === "event" && !dryRun ? await lastAppliedBaseline() : undefined;
      results = await Promise.all(
        options.routers.map((target) => syncRouter(target, desired, baseline)),
      );
      if (dryRun) break;
      if (gate.accepted) {
        state.lastGood = lastGoodOf(snapshot, now());
        await options.onAccepted?.(gate.project);
      }
      if (rounds >= maxRounds) break;
      const revision = await options.source.revision();
      if (revision === snapshot.revision) break;
      logger.info("registry changed during the run: another pass", {
        source: verdict.source,
        read: shortDigest(snapshot.revision),
        now: shortDigest(revision),
      });
    }
    if (!dryRun) await options.state.write(state);
    return finish(results, verdict);
  } finally {
    if (ownPool) await pool.close();
  }

  function finish(routers: RouterSyncResult[], registry: RegistryVerdict): SyncReport {
    const totals = totalsOf(routers, dryRun);
    const outcome =
      !registry.accepted && !registry.usedLastGood
        ? "refused"
        : routers.some((r) => r.status === "failed")
          ? "failed"
          : "ok";
    const report: SyncReport = { mode, dryRun, registry, rounds, routers, totals, outcome };
    logger.info("sync finished", {
      mode,
      dryRun,
      outcome,
      digest: registry.digest === undefined ? undefined : shortDigest(registry.digest),
      rounds,
      ...totals,
    });
    return report;
  }

  async function syncRouter(
    target: ManagementTarget,
    desired: DesiredConfigs,
    baseline: DesiredConfigs | undefined,
  ): Promise<RouterSyncResult> {
    const url = redactUrl(target.url);
    const result: RouterSyncResult = {
      url,
      routerId: undefined,
      flavour: undefined,
      status: "failed",
      reason: undefined,
      restarted: false,
      basis: undefined,
      plan: undefined,
      applied: [],
      fallback: undefined,
      error: undefined,
    };
    const fail = (error: string): RouterSyncResult => {
      result.status = "failed";
      result.error = error;
      const previous = state.routers[url];
      if (previous !== undefined && !dryRun) {
        const { syncedAt: _syncedAt, appliedConfig: _appliedConfig, ...rest } = previous;
        state.routers[url] = rest;
      }
      logger.error("router not synced", { router: url, routerId: result.routerId, error });
      return result;
    };
    try {
      const session = await pool.get(target);
      const management = session.management;
      const identity = await readRouterIdentity(management);
      const seenAt = now();
      result.routerId = identity.routerId;
      result.flavour = identity.flavour;
      const previous = state.routers[url];
      const seen = { routerId: identity.routerId, uptimeSeconds: identity.uptimeSeconds, seenAt };
      result.restarted = hasRestarted(previous, seen, options.restartToleranceMs);
      if (result.restarted)
        logger.warn("router restarted since it was last seen", {
          router: url,
          routerId: identity.routerId,
          uptimeSeconds: identity.uptimeSeconds,
        });
      const base = {
        routerId: identity.routerId,
        bootTime: bootTimeOf(seenAt, identity.uptimeSeconds),
        seenAt,
      };
      if (mode === "schedule") {
        const decision = needsFullSync(previous, seen, {
          fullSyncIntervalMs: options.fullSyncIntervalMs ?? FIFTEEN_MINUTES,
          digest: desired.digest,
          ...(options.restartToleranceMs === undefined
            ? {}
            : { toleranceMs: options.restartToleranceMs }),
        });
        result.reason = decision.reason;
        if (!decision.full) {
          result.status = "checked";
          // Only looked at: what it was synced to stays as recorded.
          if (!dryRun) {
            const { routerId: _id, bootTime: _boot, seenAt: _seen, ...synced } = previous ?? {};
            state.routers[url] = { ...base, ...synced };
          }
          return result;
        }
      }
      const wanted = desired.forRouter(identity.routerId, identity.flavour);
      if ("problem" in wanted) return fail(wanted.problem);
      if (wanted.config.mode !== identity.mode)
        return fail(
          `router '${identity.routerId}' runs as ${identity.mode}, the topology has it as ${wanted.config.mode}: fix the topology or the router`,
        );
      const applyOptions =
        options.concurrency === undefined ? {} : { concurrency: options.concurrency };

      /** Records the outcome of an applied plan; `full`: it was planned from a QUERY. */
      const settle = (plan: SyncPlan, applied: AppliedStep[], full: boolean): RouterSyncResult => {
        result.plan = plan;
        result.applied = applied;
        const failed = applied.filter((a) => !a.ok);
        if (failed.length > 0) {
          if (!dryRun) state.routers[url] = base;
          return fail(`${failed.length} of ${plan.steps.length} changes failed`);
        }
        // Its live entities are the desired ones now: the next event run may plan from them.
        // (Restart-only changes are on types config-sync never writes; unread is only ever
        // the policy singleton, one of them.)
        const exact = plan.blocked.length === 0;
        const syncedAt = full ? seenAt : previous?.syncedAt;
        state.routers[url] = {
          ...base,
          ...(syncedAt === undefined ? {} : { syncedAt }),
          syncedDigest: desired.digest,
          ...(exact ? { appliedConfig: configDigest(wanted.config) } : {}),
        };
        result.status = plan.steps.length === 0 ? "unchanged" : "synced";
        logger.info(plan.steps.length === 0 ? "router in sync" : "router synced", {
          router: url,
          routerId: identity.routerId,
          restarted: result.restarted,
          basis: result.basis,
          ...operationCounts(plan),
          restartOnly: plan.restartOnly.length,
          untouched: plan.untouched.length,
          blocked: plan.blocked.length,
        });
        return result;
      };

      // An event run plans from the config the router was last brought to, when that is
      // known exactly (see lastAppliedConfig): no QUERY of its entities.
      // Not for a router that restarted, or may have since it was last seen (drift.ts).
      const lastApplied =
        baseline === undefined || result.restarted || mayHaveRestarted(previous, seen)
          ? undefined
          : lastAppliedConfig(previous, identity.routerId, identity.flavour, baseline);
      if (lastApplied !== undefined) {
        result.basis = "last-applied";
        const plan = planFromLastApplied(wanted.config, lastApplied);
        const applied = await applySyncPlan(management, plan, applyOptions);
        const surprise = applied.find((a) => a.operations.some((o) => o.unexpected));
        if (surprise === undefined) return settle(plan, applied, false);
        const operation = surprise.operations.find((o) => o.unexpected)!;
        result.fallback = {
          reason: `${operation.operation} ${surprise.step.type} ${surprise.step.name}: ${
            operation.unexpected === "taken" ? "the name or prefix is taken" : "it is gone"
          } — the router is not as last synced`,
          applied,
        };
        logger.warn("router differs from its last synced config: reading it in full", {
          router: url,
          routerId: identity.routerId,
          reason: result.fallback.reason,
        });
      }

      result.basis = "actual";
      const actual = await readActualState(management, identity);
      const plan = planSync(wanted.config, actual);
      if (dryRun) {
        result.plan = plan;
        result.status = "planned";
        return result;
      }
      return settle(plan, await applySyncPlan(management, plan, applyOptions), true);
    } catch (error) {
      if (error instanceof ManagementUnreachableError) await pool.discard(target);
      return fail(error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * The config a router was last brought to, when an event run may plan from it: its last
   * sync succeeded with nothing failed or blocked (`appliedConfig`), for the registry the
   * state holds as the last good one, the same router id answers (a restart was ruled out
   * by the caller), and generating that registry again for it — the same principals and
   * config preparation — gives the very config recorded (its digest). Undefined otherwise:
   * then the router is read in full.
   */
  function lastAppliedConfig(
    previous: RouterState | undefined,
    routerId: string,
    flavour: RouterFlavour,
    baseline: DesiredConfigs,
  ): RouterConfig | undefined {
    if (previous?.appliedConfig === undefined || previous.syncedAt === undefined) return undefined;
    if (previous.routerId !== routerId || previous.syncedDigest !== baseline.digest)
      return undefined;
    const config = baseline.forRouter(routerId, flavour);
    if ("problem" in config || configDigest(config.config) !== previous.appliedConfig)
      return undefined;
    return config.config;
  }
}
