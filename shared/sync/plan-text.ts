/**
 * A plan as the user reads it: operations counted, and one line per operation (what
 * `amqp-mesh sync` and config-sync's reports print).
 */
import type { EntityAttributes } from "../router-config/index.ts";
import type { RouterEntityType } from "../router-vocabulary/index.ts";
import { type SyncPlan, summaryOf } from "./plan.ts";

export function operationCount(plan: SyncPlan): number {
  return plan.steps.reduce((n, step) => n + (step.kind === "replace" ? 2 : 1), 0);
}

export function operationCounts(plan: SyncPlan): {
  create: number;
  update: number;
  delete: number;
} {
  const counts = { create: 0, update: 0, delete: 0 };
  for (const step of plan.steps) {
    if (step.kind === "replace") {
      counts.create++;
      counts.delete++;
    } else counts[step.kind]++;
  }
  return counts;
}

function valueText(value: unknown): string {
  if (value === undefined) return "(unset)";
  return typeof value === "object" ? "{…}" : String(value);
}

function changesText(
  changed: string[],
  previous: EntityAttributes,
  next: EntityAttributes,
): string {
  return changed
    .map((a) =>
      typeof previous[a] === "object" || typeof next[a] === "object"
        ? a
        : `${a} ${valueText(previous[a])} → ${valueText(next[a])}`,
    )
    .join(", ");
}

function settingsText(type: RouterEntityType, attributes: EntityAttributes): string {
  const text = summaryOf(type, attributes);
  return text === "" ? "" : ` (${text})`;
}

/**
 * One line per operation: `+` CREATE, `~` UPDATE, `±` DELETE and CREATE again, `-` DELETE;
 * then `!` changes only a restart makes, `=` entities left alone, `x` changes refused.
 */
export function formatSyncPlan(plan: SyncPlan): string {
  const lines: string[] = [];
  for (const step of plan.steps) {
    if (step.kind === "create")
      lines.push(`  + ${step.type} ${step.name}${settingsText(step.type, step.attributes)}`);
    else if (step.kind === "update")
      lines.push(
        `  ~ ${step.type} ${step.name}: ${changesText(step.changed, step.previous, step.attributes)} (UPDATE; applies to connections opened after it)`,
      );
    else if (step.kind === "replace")
      lines.push(
        `  ± ${step.type} ${step.name}: ${changesText(step.changed, step.previous, step.attributes)} (no UPDATE: DELETE, then CREATE)`,
      );
    else lines.push(`  - ${step.type} ${step.name}${settingsText(step.type, step.previous)}`);
  }
  for (const change of plan.restartOnly) {
    const what = change.name === undefined ? change.type : `${change.type} ${change.name}`;
    const detail =
      change.change === "update"
        ? `: ${changesText(change.changed, change.previous, change.next)}`
        : ` (${change.change})`;
    lines.push(`  ! ${what}${detail} — ${change.reason}`);
  }
  for (const entity of plan.untouched)
    lines.push(
      `  = ${entity.type} ${entity.name ?? entity.identity ?? "(unnamed)"}${entity.summary === "" ? "" : ` (${entity.summary})`}: not amqp-mesh's, left alone`,
    );
  for (const change of plan.blocked)
    lines.push(`  x ${change.type} ${change.name}: ${change.reason}`);
  return lines.join("\n");
}
