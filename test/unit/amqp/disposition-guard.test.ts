/**
 * The disposition guard (rhea-types.ts) against rhea's real `write_dispositions`: a real
 * rhea session (never connected) writes the updates of one tick, and we read the ranges it
 * outputs. Every delivery must be covered by exactly one range carrying its own outcome.
 */
import fc from "fast-check";
import rhea from "rhea";
import { describe, expect, it } from "vitest";
import { guardDispositionRanges } from "../../../shared/amqp/rhea-patches.ts";

type Kind = "accepted" | "rejected" | "released" | "modified";

const DESCRIPTORS: Record<Kind, number> = {
  accepted: 0x24,
  rejected: 0x25,
  released: 0x26,
  modified: 0x27,
};

interface Update {
  id: number;
  settled: boolean;
  remote_settled: boolean;
  state: unknown;
  link: { session: { output(frame: Frame): void }; is_receiver(): boolean };
}

interface Frame {
  first: number;
  last: number | undefined;
  state: { descriptor: { value: number } } | undefined;
  settled: boolean;
}

interface Incoming {
  updated: Update[];
  process(session: { _write_flow(): void }): void;
}

type OutcomeFactory = (fields?: Record<string, unknown>) => { described(): unknown };

const outcomes = (rhea as unknown as { message: Record<Kind, OutcomeFactory> }).message;

function state(kind: Kind): unknown {
  switch (kind) {
    case "rejected":
      return outcomes.rejected({ error: { condition: "amqp:precondition-failed" } }).described();
    case "modified":
      return outcomes.modified({ delivery_failed: true }).described();
    default:
      return outcomes[kind]().described();
  }
}

/** A real rhea session of a connection that is never opened, writing into `frames`. */
function session(guarded: boolean): {
  write(updates: Array<{ id: number; kind: Kind; settled?: boolean }>): Frame[];
} {
  const container = rhea.create_container() as unknown as {
    create_connection(options: Record<string, unknown>): { create_session(): unknown };
  };
  const rheaSession = container.create_connection({}).create_session();
  if (guarded) guardDispositionRanges(rheaSession);
  const incoming = (rheaSession as { incoming: Incoming }).incoming;
  return {
    write(updates) {
      const frames: Frame[] = [];
      const link = { session: { output: (f: Frame) => frames.push(f) }, is_receiver: () => true };
      incoming.updated = updates.map((u) => ({
        id: u.id,
        settled: u.settled ?? true,
        remote_settled: false,
        state: state(u.kind),
        link,
      }));
      incoming.process({ _write_flow: () => {} });
      return frames;
    },
  };
}

/** The outcome each delivery id was given by the written ranges (a repeat is an error). */
function outcomeById(frames: Frame[]): Map<number, { kind: number | undefined; settled: boolean }> {
  const seen = new Map<number, { kind: number | undefined; settled: boolean }>();
  for (const frame of frames) {
    for (let id = frame.first; id <= (frame.last ?? frame.first); id++) {
      if (seen.has(id)) throw new Error(`delivery ${id} written twice`);
      seen.set(id, { kind: frame.state?.descriptor.value, settled: frame.settled });
    }
  }
  return seen;
}

describe("disposition guard", () => {
  it("rhea 3.0.x alone merges a rejection right after an accept (why the guard exists)", () => {
    // If this starts failing after a rhea upgrade, rhea fixed write_dispositions and the
    // guard in rhea-types.ts may go.
    const frames = session(false).write([
      { id: 1, kind: "accepted" },
      { id: 2, kind: "rejected" },
    ]);
    expect(outcomeById(frames).get(2)?.kind).toBe(DESCRIPTORS.accepted);
  });

  it("guarded: accept then reject are written as two ranges with their own outcomes", () => {
    const frames = session(true).write([
      { id: 1, kind: "accepted" },
      { id: 2, kind: "rejected" },
      { id: 3, kind: "accepted" },
    ]);
    expect([...outcomeById(frames)]).toEqual([
      [1, { kind: DESCRIPTORS.accepted, settled: true }],
      [2, { kind: DESCRIPTORS.rejected, settled: true }],
      [3, { kind: DESCRIPTORS.accepted, settled: true }],
    ]);
  });

  it("guarded: a tick of accepts still goes out as one range", () => {
    const frames = session(true).write(
      Array.from({ length: 50 }, (_, i) => ({ id: i, kind: "accepted" as const })),
    );
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ first: 0, last: 49, settled: true });
  });

  it("guarded: any mix of outcomes, settled flags and id gaps gives each delivery its own", () => {
    const update = fc.record({
      kind: fc.constantFrom<Kind>("accepted", "rejected", "released", "modified"),
      settled: fc.boolean(),
      gap: fc.nat(2),
    });
    const guarded = session(true);
    fc.assert(
      fc.property(fc.array(update, { maxLength: 40 }), (specs) => {
        let id = 0;
        const updates = specs.map((s) => {
          id += s.gap + 1;
          return { id, kind: s.kind, settled: s.settled };
        });
        const written = outcomeById(guarded.write(updates));
        expect(written.size).toBe(updates.length);
        for (const u of updates) {
          expect(written.get(u.id)).toEqual({ kind: DESCRIPTORS[u.kind], settled: u.settled });
        }
      }),
    );
  });
});
