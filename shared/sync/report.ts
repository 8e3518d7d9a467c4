/**
 * What a sync run did, as one value: printed by the CLI, returned by the functions, and
 * summed up in `totals`. Structured log lines go to a SyncLogger (Powertools' Logger and
 * the Azure InvocationContext fit it): one per management operation, one per router, one
 * per run — names, counts and outcomes, never attribute values or credentials.
 */
import type { ChannelCompatibility } from "../registry/index.ts";
import type { RouterFlavour } from "../topology/index.ts";
import type { AppliedStep } from "./apply.ts";
import type { SyncPlan } from "./plan.ts";
import { formatSyncPlan, operationCounts } from "./plan-text.ts";

export interface SyncLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const SILENT_LOGGER: SyncLogger = { info() {}, warn() {}, error() {} };

export type RouterSyncStatus =
  /** The plan was applied without a failure. */
  | "synced"
  /** Nothing to do: the router already carries the registry. */
  | "unchanged"
  /** Planned only (--dry-run). */
  | "planned"
  /** Unreachable, refused, or an operation failed: retried on the next run. */
  | "failed"
  /** A scheduled run read its uptime only: no restart, nothing changed since its last full sync. */
  | "checked";

export interface RouterSyncResult {
  url: string;
  routerId: string | undefined;
  flavour: RouterFlavour | undefined;
  status: RouterSyncStatus;
  /** Why it was (not) fully synced: restart seen, first time, … */
  reason: string | undefined;
  restarted: boolean;
  /**
   * What the plan was made against: `actual`, the router's entities (QUERY); `last-applied`,
   * the config its last sync brought it to (an event run, when that is known for sure).
   */
  basis: "actual" | "last-applied" | undefined;
  plan: SyncPlan | undefined;
  applied: AppliedStep[];
  /**
   * A plan from the last applied config met a router that differs from it (a name taken, an
   * entity gone): what was sent of it, and why the router was then read in full and planned
   * again (`plan` and `applied` are that second plan's).
   */
  fallback: { reason: string; applied: AppliedStep[] } | undefined;
  /** What went wrong, with the fix. */
  error: string | undefined;
}

export interface RegistryVerdict {
  source: string;
  /** The registry version synced to (or refused): the digest of its files. */
  digest: string | undefined;
  /** The store's revision of it (ETags). */
  revision: string | undefined;
  accepted: boolean;
  reason: "invalid" | "not-generated" | "breaking" | "unreadable" | undefined;
  problems: string[];
  notes: string[];
  breakingChanges: ChannelCompatibility[];
  /** The store's registry was refused and the last good one was synced instead (schedule). */
  usedLastGood: boolean;
}

export interface SyncTotals {
  routers: number;
  synced: number;
  unchanged: number;
  checked: number;
  planned: number;
  failed: number;
  /** Management write operations sent (or, on a dry run, planned). */
  operations: number;
  creates: number;
  updates: number;
  deletes: number;
  failedOperations: number;
  restartOnly: number;
  untouched: number;
}

export interface SyncReport {
  mode: "event" | "schedule";
  dryRun: boolean;
  registry: RegistryVerdict;
  /** Passes over the store: more than one when a newer upload came in during a pass. */
  rounds: number;
  routers: RouterSyncResult[];
  totals: SyncTotals;
  /**
   * `ok`: every router carries the registry (or was planned); `refused`: the registry did
   * not pass the gate, nothing was sent; `failed`: at least one router was not synced.
   */
  outcome: "ok" | "refused" | "failed";
}

export function totalsOf(routers: readonly RouterSyncResult[], dryRun: boolean): SyncTotals {
  const totals: SyncTotals = {
    routers: routers.length,
    synced: 0,
    unchanged: 0,
    checked: 0,
    planned: 0,
    failed: 0,
    operations: 0,
    creates: 0,
    updates: 0,
    deletes: 0,
    failedOperations: 0,
    restartOnly: 0,
    untouched: 0,
  };
  for (const router of routers) {
    totals[router.status]++;
    totals.restartOnly += router.plan?.restartOnly.length ?? 0;
    totals.untouched += router.plan?.untouched.length ?? 0;
    if (dryRun && router.plan !== undefined) {
      const counts = operationCounts(router.plan);
      totals.creates += counts.create;
      totals.updates += counts.update;
      totals.deletes += counts.delete;
      continue;
    }
    // Every request sent counts, a dropped plan's too; failures only of the last plan (the
    // full one repairs what the dropped one could not do).
    const sent = [...(router.fallback?.applied ?? []), ...router.applied];
    for (const applied of sent) {
      for (const operation of applied.operations) {
        totals.operations++;
        if (operation.operation === "CREATE") totals.creates++;
        else if (operation.operation === "UPDATE") totals.updates++;
        else totals.deletes++;
      }
    }
    for (const applied of router.applied)
      for (const operation of applied.operations) if (!operation.ok) totals.failedOperations++;
  }
  if (dryRun) totals.operations = totals.creates + totals.updates + totals.deletes;
  return totals;
}

function routerLine(router: RouterSyncResult): string {
  const who = router.routerId === undefined ? router.url : `${router.routerId} (${router.url})`;
  const applied = router.applied.flatMap((a) => a.operations);
  const failed = applied.filter((o) => !o.ok).length;
  switch (router.status) {
    case "failed":
      return `${who}: FAILED — ${router.error ?? `${failed} of ${applied.length} operations failed`}`;
    case "checked":
      return `${who}: checked (${router.reason ?? "up"})`;
    case "unchanged":
      return `${who}: in sync, nothing to do`;
    case "planned": {
      const counts = router.plan
        ? operationCounts(router.plan)
        : { create: 0, update: 0, delete: 0 };
      return `${who}: would create ${counts.create}, update ${counts.update}, delete ${counts.delete}`;
    }
    case "synced":
      return `${who}: synced — ${applied.length} operations${router.restarted ? " (after a restart)" : ""}`;
  }
}

/** The human report: the registry's verdict, then each router's plan and what was done. */
export function formatSyncReport(report: SyncReport): string {
  const lines: string[] = [];
  const { registry } = report;
  const version = registry.digest === undefined ? "" : ` ${registry.digest.slice(0, 12)}`;
  if (!registry.accepted) {
    lines.push(
      `registry${version} from ${registry.source}: REFUSED (${registry.reason}); no router was changed`,
    );
    for (const problem of registry.problems) lines.push(`  ${problem.split("\n").join("\n  ")}`);
    if (registry.usedLastGood)
      lines.push("  the routers were held at the last good registry instead");
  } else {
    lines.push(`registry${version} from ${registry.source}: accepted`);
  }
  for (const note of registry.notes) lines.push(`  note: ${note.split("\n").join("\n  ")}`);
  for (const router of report.routers) {
    lines.push(routerLine(router));
    if (router.fallback !== undefined)
      lines.push(
        `  planned from its last synced config, but ${router.fallback.reason}: read in full and planned again`,
      );
    if (router.plan !== undefined) {
      const plan = formatSyncPlan(router.plan);
      if (plan !== "") lines.push(plan);
    }
    for (const applied of router.applied)
      for (const operation of applied.operations)
        if (!operation.ok)
          lines.push(
            `    failed ${operation.operation} ${applied.step.type} ${applied.step.name}: ${operation.error}`,
          );
  }
  const t = report.totals;
  lines.push(
    `${report.dryRun ? "dry run: " : ""}${t.routers} router(s): ${t.synced} synced, ${t.unchanged} unchanged, ${t.checked} checked, ${t.planned} planned, ${t.failed} failed; ` +
      `${t.operations} operations (${t.creates} create, ${t.updates} update, ${t.deletes} delete${t.failedOperations > 0 ? `, ${t.failedOperations} failed` : ""})` +
      (report.rounds > 1 ? `; ${report.rounds} passes (the registry changed during the run)` : ""),
  );
  return `${lines.join("\n")}\n`;
}
