/** Restart detection from the router's uptime, against the clock. */
import { describe, expect, it } from "vitest";
import {
  bootTimeOf,
  hasRestarted,
  mayHaveRestarted,
  needsFullSync,
} from "../../../shared/sync/index.ts";

const T0 = Date.parse("2026-12-01T10:00:00Z");
const seenFirst = {
  routerId: "r1",
  bootTime: bootTimeOf(T0, 3_600),
  seenAt: T0,
  syncedAt: T0,
  syncedDigest: "d1",
};
const options = { fullSyncIntervalMs: 15 * 60_000, digest: "d1" };

describe("restart detection", () => {
  it("uptime that grew with the clock is the same run of the router", () => {
    const later = { routerId: "r1", uptimeSeconds: 3_600 + 60, seenAt: T0 + 60_000 };
    expect(hasRestarted(seenFirst, later)).toBe(false);
    expect(needsFullSync(seenFirst, later, options)).toMatchObject({ full: false });
  });

  it("uptime that went back is a restart, and asks for a full sync", () => {
    const later = { routerId: "r1", uptimeSeconds: 20, seenAt: T0 + 60_000 };
    expect(hasRestarted(seenFirst, later)).toBe(true);
    expect(needsFullSync(seenFirst, later, options)).toMatchObject({
      full: true,
      restarted: true,
      reason: expect.stringMatching(/^restarted: up 20 s/),
    });
  });

  it("a restart long ago with more uptime than last seen is still a restart", () => {
    // Last seen up 1 h; an hour later it has been up 2 h — no, it restarted 90 min ago.
    const later = { routerId: "r1", uptimeSeconds: 5_400, seenAt: T0 + 3 * 3_600_000 };
    expect(hasRestarted(seenFirst, later)).toBe(true);
  });

  it("a restart a few seconds after the router first started: up for less than the time since it was seen", () => {
    // First seen 1 s after it started; killed and started again 3.5 s later: its boot time
    // moved 4.5 s, within the tolerance for clocks.
    const young = { ...seenFirst, bootTime: bootTimeOf(T0, 1) };
    expect(hasRestarted(young, { routerId: "r1", uptimeSeconds: 0, seenAt: T0 + 3_500 })).toBe(
      true,
    );
    expect(
      needsFullSync(young, { routerId: "r1", uptimeSeconds: 0, seenAt: T0 + 3_500 }, options),
    ).toMatchObject({ full: true, restarted: true });
    // The same run of it, seen again: up as long as the time since.
    expect(hasRestarted(young, { routerId: "r1", uptimeSeconds: 4, seenAt: T0 + 3_500 })).toBe(
      false,
    );
    expect(hasRestarted(young, { routerId: "r1", uptimeSeconds: 3, seenAt: T0 + 3_500 })).toBe(
      false,
    );
  });

  it("a restart that uptime cannot prove — seen 0.8 s before it, within seconds of its start — is read in full", () => {
    // Seen up 2 s (booted 2–3 s before); killed, started again at once, seen 0.8 s later up
    // 0 s: its boot time moved less than the tolerance, and 0 + 1 s of rounding + 1 s of
    // slack is more than the 0.8 s since: no proof of a restart, but no proof of none.
    const young = { ...seenFirst, bootTime: bootTimeOf(T0, 2) };
    const after = { routerId: "r1", uptimeSeconds: 0, seenAt: T0 + 800 };
    expect(hasRestarted(young, after)).toBe(false);
    expect(mayHaveRestarted(young, after)).toBe(true);
    expect(needsFullSync(young, after, options)).toMatchObject({
      full: true,
      restarted: false,
      reason: "up 0 s, less than the 0.8 s since it was last seen: it may have restarted",
    });
    // The same run of it, up at least as long as the time since it was seen: nothing to read.
    const same = { routerId: "r1", uptimeSeconds: 2, seenAt: T0 + 800 };
    expect(mayHaveRestarted(young, same)).toBe(false);
    expect(needsFullSync(young, same, options)).toMatchObject({ full: false });
    expect(
      mayHaveRestarted(seenFirst, { routerId: "r1", uptimeSeconds: 3_660, seenAt: T0 + 60_000 }),
    ).toBe(false);
  });

  it("a few seconds of clock skew are no restart", () => {
    expect(
      hasRestarted(seenFirst, { routerId: "r1", uptimeSeconds: 3_660 - 3, seenAt: T0 + 60_000 }),
    ).toBe(false);
  });

  it("another router at the URL, a changed registry, an old or failed sync: full sync", () => {
    const seen = { routerId: "r1", uptimeSeconds: 3_660, seenAt: T0 + 60_000 };
    expect(needsFullSync(seenFirst, { ...seen, routerId: "r2" }, options).full).toBe(true);
    expect(needsFullSync(seenFirst, seen, { ...options, digest: "d2" }).reason).toMatch(
      /registry changed/,
    );
    expect(
      needsFullSync(
        seenFirst,
        { ...seen, uptimeSeconds: 3_600 + 1_000, seenAt: T0 + 1_000_000 },
        options,
      ).full,
    ).toBe(true);
    expect(needsFullSync({ ...seenFirst, syncedAt: undefined }, seen, options).full).toBe(true);
    expect(needsFullSync(undefined, seen, options)).toMatchObject({
      full: true,
      reason: "first time seen",
    });
  });
});
