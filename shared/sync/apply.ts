/**
 * Applies a SyncPlan to one router over management, in the plan's order. Steps of the same
 * kind and type in a row are independent and run a few at a time; a replacement sends its
 * DELETE and, right after it on the same link, its CREATE (the agent handles requests in
 * arrival order, on both real routers and the emulator), so the entity is missing for one
 * round trip. A failed step is recorded and the
 * rest go on (the next run retries), except once the router is unreachable: the remaining
 * steps are then recorded as not attempted.
 */
import {
  ManagementBadRequestError,
  type ManagementClient,
  ManagementNotFoundError,
  ManagementUnreachableError,
} from "../management/index.ts";
import type { SyncPlan, SyncStep } from "./plan.ts";

export interface AppliedOperation {
  operation: "CREATE" | "UPDATE" | "DELETE";
  ok: boolean;
  /** Why it failed: the router's answer, with the fix. */
  error?: string;
  /** It failed because the router could not be reached (the rest are not attempted). */
  unreachable?: boolean;
  /**
   * The router's answer shows it holds something else than the plan assumed: the name or
   * prefix is taken already (a CREATE, failed), or the entity is gone (an UPDATE, failed;
   * a DELETE, which still counts as done). A plan made from the last applied config is
   * then dropped for a full read of the router.
   */
  unexpected?: "taken" | "gone";
}

export interface AppliedStep {
  step: SyncStep;
  ok: boolean;
  /** False when the step was never sent (the router became unreachable before it). */
  attempted: boolean;
  operations: AppliedOperation[];
}

export interface ApplyOptions {
  /** Independent steps in flight at once (default 8). */
  concurrency?: number;
  onStep?: (applied: AppliedStep) => void;
}

/**
 * A CREATE refused because the name or the prefix is taken: qdrouterd's core agent answers
 * "Name conflicts with an existing entity" or (a second address for one prefix) "Already
 * exists", its Python agent "Duplicate value … for unique attribute 'name'".
 */
function isTaken(error: unknown): boolean {
  return (
    error instanceof ManagementBadRequestError &&
    /conflicts with an existing|Duplicate value|Already exists/i.test(error.statusDescription)
  );
}

function failure(operation: AppliedOperation["operation"], error: unknown): AppliedOperation {
  return {
    operation,
    ok: false,
    error: error instanceof Error ? error.message : String(error),
    ...(error instanceof ManagementUnreachableError ? { unreachable: true } : {}),
    ...(operation === "CREATE" && isTaken(error) ? { unexpected: "taken" as const } : {}),
    ...(operation === "UPDATE" && error instanceof ManagementNotFoundError
      ? { unexpected: "gone" as const }
      : {}),
  };
}

/** A DELETE whose entity is gone already: what the plan wanted, but not what it assumed. */
const GONE_ALREADY: AppliedOperation = { operation: "DELETE", ok: true, unexpected: "gone" };

async function applyStep(
  management: ManagementClient,
  step: SyncStep,
): Promise<AppliedOperation[]> {
  const ref = { name: step.name };
  switch (step.kind) {
    case "create":
      try {
        await management.create(step.type, step.name, step.attributes);
        return [{ operation: "CREATE", ok: true }];
      } catch (error) {
        return [failure("CREATE", error)];
      }
    case "update":
      try {
        await management.update(step.type, ref, step.attributes);
        return [{ operation: "UPDATE", ok: true }];
      } catch (error) {
        return [failure("UPDATE", error)];
      }
    case "delete":
      try {
        await management.delete(step.type, ref);
        return [{ operation: "DELETE", ok: true }];
      } catch (error) {
        // Gone already: what the plan wanted.
        if (error instanceof ManagementNotFoundError) return [{ ...GONE_ALREADY }];
        return [failure("DELETE", error)];
      }
    case "replace": {
      // Back to back on the one link: the agent takes requests in order, so the CREATE
      // finds the name free without waiting for the DELETE's answer.
      const deleting = management.delete(step.type, ref);
      const creating = management.create(step.type, step.name, step.attributes);
      const [deleted, created] = await Promise.allSettled([deleting, creating]);
      return [
        deleted.status === "fulfilled"
          ? { operation: "DELETE", ok: true }
          : deleted.reason instanceof ManagementNotFoundError
            ? { ...GONE_ALREADY }
            : failure("DELETE", deleted.reason),
        created.status === "fulfilled"
          ? { operation: "CREATE", ok: true }
          : failure("CREATE", created.reason),
      ];
    }
  }
}

function unreachable(operations: AppliedOperation[]): boolean {
  return operations.some((o) => o.unreachable === true);
}

/** Runs of steps that may go concurrently: the same kind and type, one after another. */
function batches(steps: readonly SyncStep[]): SyncStep[][] {
  const out: SyncStep[][] = [];
  for (const step of steps) {
    const last = out[out.length - 1];
    if (last !== undefined && last[0]!.kind === step.kind && last[0]!.type === step.type)
      last.push(step);
    else out.push([step]);
  }
  return out;
}

export async function applySyncPlan(
  management: ManagementClient,
  plan: SyncPlan,
  options: ApplyOptions = {},
): Promise<AppliedStep[]> {
  const concurrency = options.concurrency ?? 8;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1)
    throw new RangeError(`apply concurrency must be a whole number ≥ 1, got ${concurrency}`);
  const results: AppliedStep[] = [];
  let lost = false;
  const record = (applied: AppliedStep): void => {
    results.push(applied);
    options.onStep?.(applied);
  };
  for (const batch of batches(plan.steps)) {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batch.length) {
        const step = batch[next++]!;
        if (lost) {
          record({ step, ok: false, attempted: false, operations: [] });
          continue;
        }
        let operations: AppliedOperation[];
        try {
          operations = await applyStep(management, step);
        } catch (error) {
          operations = [
            failure(
              step.kind === "update" ? "UPDATE" : step.kind === "delete" ? "DELETE" : "CREATE",
              error,
            ),
          ];
        }
        if (unreachable(operations)) lost = true;
        record({ step, ok: operations.every((o) => o.ok), attempted: true, operations });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, worker));
  }
  return results;
}
