/**
 * Drift: routers on managed containers restart and come back with only their config file's
 * entities. A router has restarted when its boot time (seen − uptime) moved later than the
 * one recorded: its uptime went back, measured against the clock — or when it has been up
 * for less time than has passed since it was last seen, which also catches a restart a few
 * seconds after the router first started (a boot time move within the tolerance).
 */
import type { RouterState } from "./state.ts";

/** Uptime counts whole seconds and clocks differ a little: smaller moves are no restart. */
export const RESTART_TOLERANCE_MS = 5_000;

/** How far apart the router's uptime reading and our `seenAt` may be taken. */
const UPTIME_READ_SLACK_MS = 1_000;

export function bootTimeOf(seenAt: number, uptimeSeconds: number): number {
  return seenAt - uptimeSeconds * 1000;
}

export interface RouterObservation {
  routerId: string;
  uptimeSeconds: number;
  seenAt: number;
}

export interface FullSyncDecision {
  full: boolean;
  restarted: boolean;
  reason: string;
}

export interface DriftOptions {
  /** Full syncs on a schedule at least this often even without a restart (ms). */
  fullSyncIntervalMs: number;
  /** Boot time moves smaller than this are no restart (default RESTART_TOLERANCE_MS). */
  toleranceMs?: number;
  /** The digest of the registry that would be synced now. */
  digest: string;
}

/** Whether the router restarted since it was last seen (a different router id counts too). */
export function hasRestarted(
  previous: RouterState | undefined,
  seen: RouterObservation,
  toleranceMs = RESTART_TOLERANCE_MS,
): boolean {
  if (previous === undefined) return false;
  if (previous.routerId !== seen.routerId) return true;
  if (bootTimeOf(seen.seenAt, seen.uptimeSeconds) - previous.bootTime > toleranceMs) return true;
  // Up (at most uptime + 1 s: whole seconds) for less than the time since it was last seen,
  // with a second to spare for when the reading was taken: it started after that sighting.
  return (seen.uptimeSeconds + 1) * 1000 + UPTIME_READ_SLACK_MS < seen.seenAt - previous.seenAt;
}

/**
 * Whether the router may have started after it was last seen, though `hasRestarted` cannot
 * tell (uptime counts whole seconds, boot time moves within the tolerance): it has been up for
 * less time than has passed since that sighting. Only ever true for a router seen within
 * seconds of its start, or one that did restart: what it holds must be read, not assumed.
 */
export function mayHaveRestarted(
  previous: RouterState | undefined,
  seen: RouterObservation,
): boolean {
  if (previous === undefined) return false;
  return seen.uptimeSeconds * 1000 < seen.seenAt - previous.seenAt;
}

/**
 * On a scheduled run, whether a router needs the full QUERY-and-apply: never seen, restarted
 * (or may have: up for less time than since it was last seen),
 * the registry changed since its last full sync (a lost event), its last sync failed, or the
 * last full sync is older than `fullSyncIntervalMs`. Otherwise reading its uptime was enough.
 */
export function needsFullSync(
  previous: RouterState | undefined,
  seen: RouterObservation,
  options: DriftOptions,
): FullSyncDecision {
  if (previous === undefined) return { full: true, restarted: false, reason: "first time seen" };
  if (hasRestarted(previous, seen, options.toleranceMs)) {
    const since = new Date(bootTimeOf(seen.seenAt, seen.uptimeSeconds)).toISOString();
    return {
      full: true,
      restarted: true,
      reason:
        previous.routerId !== seen.routerId
          ? `another router answers at this URL now (${seen.routerId}, was ${previous.routerId})`
          : `restarted: up ${seen.uptimeSeconds} s (since ${since}), was up since ${new Date(previous.bootTime).toISOString()}`,
    };
  }
  if (mayHaveRestarted(previous, seen))
    return {
      full: true,
      restarted: false,
      reason: `up ${seen.uptimeSeconds} s, less than the ${((seen.seenAt - previous.seenAt) / 1000).toFixed(1)} s since it was last seen: it may have restarted`,
    };
  if (previous.syncedAt === undefined)
    return { full: true, restarted: false, reason: "the last sync did not finish cleanly" };
  if (previous.syncedDigest !== options.digest)
    return {
      full: true,
      restarted: false,
      reason: "the registry changed since the last full sync",
    };
  const age = seen.seenAt - previous.syncedAt;
  if (age >= options.fullSyncIntervalMs)
    return {
      full: true,
      restarted: false,
      reason: `last full sync ${Math.round(age / 1000)} s ago`,
    };
  return { full: false, restarted: false, reason: "up since the last full sync; nothing to do" };
}
