/**
 * The bridge's attempt ledger file is input (a disk another process wrote, or a broken one):
 * any text in it starts a ledger that never throws and counts nothing negative; counts written
 * are read back by the next ledger; the ledger keeps at most its limit of messages.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { FileAttemptLedger, MemoryAttemptLedger } from "../../../shared/trigger/index.ts";

const dir = mkdtempSync(join(tmpdir(), "amqp-mesh-ledger-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("attempt ledger", () => {
  it("any file content: no throw, counts are whole and positive, a problem is said for a bad file", () => {
    const file = join(dir, "fuzz.json");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc
            .array(fc.tuple(fc.string(), fc.oneof(fc.integer(), fc.double(), fc.string())))
            .map((a) => JSON.stringify(a)),
        ),
        fc.string(),
        (text, key) => {
          writeFileSync(file, text);
          const ledger = new FileAttemptLedger(file);
          const n = ledger.get(key);
          expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          if (!Array.isArray(parsed)) expect(ledger.problem).toMatch(/is not an attempt ledger/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("what one ledger writes the next reads; 0 forgets; a missing file is an empty ledger", () => {
    const file = join(dir, "nested", "round-trip.json");
    const first = new FileAttemptLedger(file);
    expect(first.problem).toBeUndefined();
    first.set([
      ["a", 2],
      ["b", 1],
    ]);
    first.set([["b", 0]]);
    const second = new FileAttemptLedger(file);
    expect([second.get("a"), second.get("b")]).toEqual([2, 0]);
  });

  it("keeps at most its limit, the least recently set going first", () => {
    const ledger = new MemoryAttemptLedger(3);
    for (const key of ["a", "b", "c", "d"]) ledger.set([[key, 1]]);
    ledger.set([["b", 2]]);
    ledger.set([["e", 1]]);
    expect(["a", "b", "c", "d", "e"].map((k) => ledger.get(k))).toEqual([0, 2, 0, 1, 1]);
  });
});
