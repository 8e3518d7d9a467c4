import { describe, expect, it } from "vitest";
import { backoffDelay, DeadlineTimer } from "../../../shared/amqp/backoff.ts";
import { waitFor } from "../../support/wait.ts";

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

  it("one timer serves many deadlines, firing each once, in order", async () => {
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
    await waitFor(() => fired.length === 3, { timeout: 2_000, what: "three expiries" });
    expect(fired).toEqual([1, 2, 3]);
    expect(timer.size).toBe(0);
  });
});
