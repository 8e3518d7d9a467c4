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
import type { ManagementPool, ManagementTarget, OpenOptions } from "../management/index.ts";
import type { RouterConfig } from "../router-config/index.ts";
import { DesiredConfigs } from "./desired.ts";
import type { ValidProject } from "./generated.ts";
import { lastGoodConfigs } from "./last-applied.ts";
import { loggingPool, withOperationLog } from "./operation-log.ts";
import { ProjectLoader } from "./project-loader.ts";
import { readAndGate } from "./registry-pass.ts";
import {
  type RegistryVerdict,
  type RouterSyncResult,
  SILENT_LOGGER,
  type SyncLogger,
  type SyncReport,
  totalsOf,
} from "./report.ts";
import { type RouterSyncOutcome, syncRouter } from "./router-sync.ts";
import { makeSnapshot } from "./snapshot.ts";
import { type RegistrySource, shortDigest } from "./source.ts";
import { lastGoodOf, type SyncState, type SyncStateStore } from "./state.ts";

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
  /** Timeouts of sessions this run opens (their operations are logged to `logger`). */
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

const FIFTEEN_MINUTES = 15 * 60 * 1000;

/**
 * Files validated lately, by content (project-loader.ts): a warm function, the next pass, or
 * the last good registry loaded next to the new one, parses and checks only what changed.
 */
const sharedLoader = new ProjectLoader();

/** The state with each router's record after a pass. */
function withRouters(state: SyncState, outcomes: readonly RouterSyncOutcome[]): SyncState {
  const routers = { ...state.routers };
  for (const { result, state: record } of outcomes)
    if (record !== undefined) routers[result.url] = record;
  return { ...state, routers };
}

/**
 * Passes over the store until a pass saw its latest upload: read and gate, the desired
 * configs, every router synced on its own; the state written once at the end. The pool's
 * management operations are logged to the run's logger.
 */
export function runSync(options: SyncRunOptions): Promise<SyncReport> {
  const logger = options.logger ?? SILENT_LOGGER;
  return withOperationLog(logger, () => run(options, logger));
}

async function run(options: SyncRunOptions, logger: SyncLogger): Promise<SyncReport> {
  const now = options.now ?? Date.now;
  const mode = options.mode ?? "event";
  const dryRun = options.dryRun ?? false;
  const maxRounds = options.maxRounds ?? 3;
  const loader = options.loader ?? sharedLoader;
  const pool = options.pool ?? loggingPool(options.open);
  let state = await options.state.read();
  const managementPrincipals = [
    ...(options.managementPrincipals ?? []),
    ...options.routers.flatMap((t) => (t.sasl?.username === undefined ? [] : [t.sasl.username])),
  ];
  const desiredOptions = {
    managementPrincipals,
    ...(options.prepareConfig === undefined ? {} : { prepareConfig: options.prepareConfig }),
  };
  const recorded = state.lastGood;
  /**
   * The last good registry as the state holds it: the gate's baseline, and what routers
   * were last synced to. A pass that accepts a newer one replaces it for the next pass.
   */
  let lastGood =
    recorded === undefined
      ? undefined
      : await loader.load(makeSnapshot(recorded.files, recorded.source, recorded.revision));

  let rounds = 0;
  let routers: RouterSyncResult[] = [];
  let verdict: RegistryVerdict;
  try {
    for (;;) {
      rounds++;
      const pass = await readAndGate({
        source: options.source,
        loader,
        lastGood,
        managementPrincipals,
        mode,
        logger,
      });
      verdict = pass.verdict;
      if (pass.project === undefined || pass.loaded === undefined) {
        // An earlier pass changed the routers: the next run plans from what it recorded.
        if (rounds > 1 && !dryRun) await options.state.write(state);
        return finish([], verdict);
      }
      const context = {
        mode,
        dryRun,
        pool,
        desired: new DesiredConfigs(pass.project, desiredOptions),
        baseline:
          mode === "event" && !dryRun ? lastGoodConfigs(lastGood, desiredOptions) : undefined,
        logger,
        now,
        fullSyncIntervalMs: options.fullSyncIntervalMs ?? FIFTEEN_MINUTES,
        restartToleranceMs: options.restartToleranceMs,
        concurrency: options.concurrency,
      };
      const outcomes = await Promise.all(
        options.routers.map((target) =>
          syncRouter(target, state.routers[redactUrl(target.url)], context),
        ),
      );
      routers = outcomes.map((o) => o.result);
      state = withRouters(state, outcomes);
      if (dryRun) break;
      const { snapshot } = pass.loaded;
      if (pass.accepted !== undefined) {
        state = { ...state, lastGood: lastGoodOf(snapshot, now()) };
        lastGood = pass.loaded;
        await options.onAccepted?.(pass.accepted);
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
    return finish(routers, verdict);
  } finally {
    if (options.pool === undefined) await pool.close();
  }

  function finish(results: RouterSyncResult[], registry: RegistryVerdict): SyncReport {
    const totals = totalsOf(results, dryRun);
    const outcome =
      !registry.accepted && !registry.usedLastGood
        ? "refused"
        : results.some((r) => r.status === "failed")
          ? "failed"
          : "ok";
    logger.info("sync finished", {
      mode,
      dryRun,
      outcome,
      digest: registry.digest === undefined ? undefined : shortDigest(registry.digest),
      rounds,
      ...totals,
    });
    return { mode, dryRun, registry, rounds, routers: results, totals, outcome };
  }
}
