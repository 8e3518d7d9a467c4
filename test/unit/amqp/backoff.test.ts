import { describe, expect, it, vi } from "vitest";
import { backoffDelay, DeadlineTimer } from "../../../shared/amqp/backoff.ts";

describe("backoff", () => {
  it("grows exponentially, is capped, and keeps at least half of the step", () => {
    expect(backoffDelay(0, 100, 10_000, () => 0)).toBe(50);
    expect(backoffDelay(0, 100, 10_000, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, 10_000, () => 1)).toBe(800);
    expect(backoffDelay(20, 100, 10_000, () => 1)).toBe(10_000);
    expect(backoffDelay(1_000, 100, 10_000, () => 0)).toBe(5_000);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(4, 100, 10_000);
      expect(d).toBeGreaterThanOrEqual(800);
      expect(d).toBeLessThanOrEqual(1_600);
    }
  });

  it("one timer serves many deadlines, firing each once, in order", () => {
    vi.useFakeTimers();
    try {
      const fired: number[] = [];
      const timer = new DeadlineTimer<{ deadlineAt: number; n: number }>((item) =>
        fired.push(item.n),
      );
      const now = Date.now();
      timer.add({ deadlineAt: now + 60, n: 3 });
      timer.add({ deadlineAt: now + 20, n: 1 });
      const removed = { deadlineAt: now + 30, n: 99 };
      timer.add(removed);
      timer.add({ deadlineAt: now + 40, n: 2 });
      timer.delete(removed);
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(25);
      expect(fired).toEqual([1]);
      vi.advanceTimersByTime(20);
      expect(fired).toEqual([1, 2]);
      vi.advanceTimersByTime(20);
      expect(fired).toEqual([1, 2, 3]);
      expect(timer.size).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a timer that fires late expires everything due, in deadline order", () => {
    vi.useFakeTimers();
    try {
      const fired: number[] = [];
      const timer = new DeadlineTimer<{ deadlineAt: number; n: number }>((item) =>
        fired.push(item.n),
      );
      const now = Date.now();
      // Added latest-first: insertion order is the reverse of deadline order.
      for (const n of [3, 2, 1]) timer.add({ deadlineAt: now + n * 10, n });
      // The event loop was busy: the timer runs once, after every deadline passed.
      vi.setSystemTime(now + 100);
      vi.runOnlyPendingTimers();
      expect(fired).toEqual([1, 2, 3]);
      expect(timer.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
