/**
 * One router brought to its desired config: its identity and drift read, then a plan made
 * from the config its last sync applied (an event run, when that is known exactly) or from
 * its entities as read, and applied. Returns what happened and what the sync state records
 * of the router next; changes nothing else.
 */
import { redactUrl } from "../amqp/index.ts";
import {
  type ManagementPool,
  type ManagementTarget,
  ManagementUnreachableError,
} from "../management/index.ts";
import { readActualState, readRouterIdentity } from "./actual.ts";
import { type AppliedStep, applySyncPlan } from "./apply.ts";
import { configDigest, type DesiredConfigs } from "./desired.ts";
import { bootTimeOf, hasRestarted, mayHaveRestarted, needsFullSync } from "./drift.ts";
import { lastAppliedConfig } from "./last-applied.ts";
import { planFromLastApplied, planSync, type SyncPlan } from "./plan.ts";
import { operationCounts } from "./plan-text.ts";
import type { RouterSyncResult, SyncLogger } from "./report.ts";
import type { RouterState } from "./state.ts";

export interface RouterSyncContext {
  mode: "event" | "schedule";
  dryRun: boolean;
  pool: ManagementPool;
  /** The configs the routers are brought to. */
  desired: DesiredConfigs;
  /** The last good registry's configs: an event run may plan from a router's last applied one. */
  baseline: DesiredConfigs | undefined;
  logger: SyncLogger;
  now: () => number;
  fullSyncIntervalMs: number;
  restartToleranceMs: number | undefined;
  /** Independent management requests in flight (default: apply's). */
  concurrency: number | undefined;
}

export interface RouterSyncOutcome {
  result: RouterSyncResult;
  /** What the sync state records of the router after this pass (undefined: still nothing). */
  state: RouterState | undefined;
}

function notSynced(url: string): RouterSyncResult {
  return {
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
}

/** A record after a failed sync: what was seen of the router stays, no claim that it is synced. */
function withoutSync(record: RouterState | undefined): RouterState | undefined {
  if (record === undefined) return undefined;
  const { syncedAt: _syncedAt, appliedConfig: _appliedConfig, ...rest } = record;
  return rest;
}

/** What a record says the router was synced to, without what was seen of it. */
function syncedPart(record: RouterState | undefined): Partial<RouterState> {
  const { routerId: _id, bootTime: _boot, seenAt: _seen, ...synced } = record ?? {};
  return synced;
}

/** Why a plan from the last applied config was dropped: an operation met a router not as recorded. */
function surpriseIn(applied: AppliedStep[]): string | undefined {
  for (const { step, operations } of applied)
    for (const operation of operations)
      if (operation.unexpected !== undefined)
        return `${operation.operation} ${step.type} ${step.name}: ${
          operation.unexpected === "taken" ? "the name or prefix is taken" : "it is gone"
        } — the router is not as last synced`;
  return undefined;
}

/** Syncs the router at `target`, whose state record (from earlier runs) is `previous`. */
export async function syncRouter(
  target: ManagementTarget,
  previous: RouterState | undefined,
  context: RouterSyncContext,
): Promise<RouterSyncOutcome> {
  const { logger, dryRun } = context;
  const url = redactUrl(target.url);
  /** The router failed at `result`; `recorded` is what the state held of it then. */
  const fail = (
    result: RouterSyncResult,
    error: string,
    recorded = previous,
  ): RouterSyncOutcome => {
    logger.error("router not synced", { router: url, routerId: result.routerId, error });
    return {
      result: { ...result, status: "failed", error },
      state: dryRun ? previous : withoutSync(recorded),
    };
  };
  let result = notSynced(url);
  try {
    const { management } = await context.pool.get(target);
    const identity = await readRouterIdentity(management);
    const seenAt = context.now();
    const seen = { routerId: identity.routerId, uptimeSeconds: identity.uptimeSeconds, seenAt };
    const restarted = hasRestarted(previous, seen, context.restartToleranceMs);
    result = { ...result, routerId: identity.routerId, flavour: identity.flavour, restarted };
    if (restarted)
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
    if (context.mode === "schedule") {
      const decision = needsFullSync(previous, seen, {
        fullSyncIntervalMs: context.fullSyncIntervalMs,
        digest: context.desired.digest,
        ...(context.restartToleranceMs === undefined
          ? {}
          : { toleranceMs: context.restartToleranceMs }),
      });
      result = { ...result, reason: decision.reason };
      // Only looked at: what it was synced to stays as recorded.
      if (!decision.full)
        return {
          result: { ...result, status: "checked" },
          state: dryRun ? previous : { ...base, ...syncedPart(previous) },
        };
    }
    const wanted = context.desired.forRouter(identity.routerId, identity.flavour);
    if ("problem" in wanted) return fail(result, wanted.problem);
    if (wanted.config.mode !== identity.mode)
      return fail(
        result,
        `router '${identity.routerId}' runs as ${identity.mode}, the topology has it as ${wanted.config.mode}: fix the topology or the router`,
      );
    const applyOptions =
      context.concurrency === undefined ? {} : { concurrency: context.concurrency };

    /** The outcome of an applied plan; `full`: it was planned from a QUERY. */
    const settle = (plan: SyncPlan, applied: AppliedStep[], full: boolean): RouterSyncOutcome => {
      const done: RouterSyncResult = { ...result, plan, applied };
      const failed = applied.filter((a) => !a.ok);
      if (failed.length > 0)
        return fail(done, `${failed.length} of ${plan.steps.length} changes failed`, base);
      // Its live entities are the desired ones now: the next event run may plan from them.
      // (Restart-only changes are on types config-sync never writes; unread is only ever
      // the policy singleton, one of them.)
      const exact = plan.blocked.length === 0;
      const syncedAt = full ? seenAt : previous?.syncedAt;
      const unchanged = plan.steps.length === 0;
      logger.info(unchanged ? "router in sync" : "router synced", {
        router: url,
        routerId: identity.routerId,
        restarted,
        basis: done.basis,
        ...operationCounts(plan),
        restartOnly: plan.restartOnly.length,
        untouched: plan.untouched.length,
        blocked: plan.blocked.length,
      });
      return {
        result: { ...done, status: unchanged ? "unchanged" : "synced" },
        state: {
          ...base,
          ...(syncedAt === undefined ? {} : { syncedAt }),
          syncedDigest: context.desired.digest,
          ...(exact ? { appliedConfig: configDigest(wanted.config) } : {}),
        },
      };
    };

    // An event run plans from the config the router was last brought to, when that is
    // known exactly (last-applied.ts): no QUERY of its entities. Not for a router that
    // restarted, or may have since it was last seen (drift.ts).
    const lastApplied =
      context.baseline === undefined || restarted || mayHaveRestarted(previous, seen)
        ? undefined
        : lastAppliedConfig(previous, identity.routerId, identity.flavour, context.baseline);
    if (lastApplied !== undefined) {
      result = { ...result, basis: "last-applied" };
      const plan = planFromLastApplied(wanted.config, lastApplied);
      const applied = await applySyncPlan(management, plan, applyOptions);
      const surprise = surpriseIn(applied);
      if (surprise === undefined) return settle(plan, applied, false);
      result = { ...result, fallback: { reason: surprise, applied } };
      logger.warn("router differs from its last synced config: reading it in full", {
        router: url,
        routerId: identity.routerId,
        reason: surprise,
      });
    }

    result = { ...result, basis: "actual" };
    const actual = await readActualState(management, identity);
    const plan = planSync(wanted.config, actual);
    if (dryRun) return { result: { ...result, plan, status: "planned" }, state: previous };
    return settle(plan, await applySyncPlan(management, plan, applyOptions), true);
  } catch (error) {
    if (error instanceof ManagementUnreachableError) await context.pool.discard(target);
    return fail(result, error instanceof Error ? error.message : String(error));
  }
}
