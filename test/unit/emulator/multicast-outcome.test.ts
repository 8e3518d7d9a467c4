/**
 * The producer's outcome of an unsettled multicast delivery (emulator/routing/routing-core.ts
 * MulticastOutcome): once every copy is settled, rejected if any copy was rejected (with
 * that copy's error), else accepted if any was accepted, else released — the rule the issue
 * states for qdrouterd's multicast ("accepted when at least one consumer accepted and none
 * rejected").
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Outcome, outcomes } from "../../../emulator/protocol/rhea-internals.ts";
import { MulticastOutcome } from "../../../emulator/routing/routing-core.ts";

function settleAll(copies: Outcome[]): Outcome[] {
  const done: Outcome[] = [];
  const aggregate = new MulticastOutcome(copies.length, (o) => done.push(o));
  for (const o of copies) aggregate.add(o);
  return done;
}

const rejected = (description: string): Outcome => ({
  kind: "rejected",
  error: { condition: "amqp:precondition-failed", description },
});

describe("MulticastOutcome", () => {
  it("waits for every copy before answering, and answers once", () => {
    const done: Outcome[] = [];
    const aggregate = new MulticastOutcome(3, (o) => done.push(o));
    aggregate.add(outcomes.accepted());
    aggregate.add(outcomes.accepted());
    expect(done).toEqual([]);
    aggregate.add(outcomes.released());
    expect(done.map((o) => o.kind)).toEqual(["accepted"]);
  });

  it("rejected wins over accepted, and keeps the first rejection's error", () => {
    const [result] = settleAll([outcomes.accepted(), rejected("first"), rejected("second")]);
    expect(result).toEqual(rejected("first"));
  });

  it("accepted when one accepted and the rest released or modified", () => {
    const [result] = settleAll([outcomes.released(), outcomes.accepted(), outcomes.modified(true)]);
    expect(result?.kind).toBe("accepted");
  });

  it("released when nobody accepted or rejected", () => {
    const [result] = settleAll([outcomes.released(), outcomes.modified(true)]);
    expect(result?.kind).toBe("released");
  });

  it("follows the rule for any mix of outcomes (fast-check)", () => {
    const outcome = fc.constantFrom<Outcome>(
      outcomes.accepted(),
      outcomes.released(),
      outcomes.modified(true),
      rejected("no"),
    );
    fc.assert(
      fc.property(fc.array(outcome, { minLength: 1, maxLength: 12 }), (copies) => {
        const done = settleAll(copies);
        expect(done).toHaveLength(1);
        const kinds = copies.map((o) => o.kind);
        const expected = kinds.includes("rejected")
          ? "rejected"
          : kinds.includes("accepted")
            ? "accepted"
            : "released";
        expect(done[0]?.kind).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });
});
