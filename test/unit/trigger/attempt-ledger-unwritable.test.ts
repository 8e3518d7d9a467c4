/** An attempt ledger whose file cannot be written goes on counting in memory and says so once. */
import { describe, expect, it } from "vitest";
import { FileAttemptLedger } from "../../../shared/trigger/attempt-ledger.ts";

describe("an attempt ledger on a disk it cannot write", () => {
  it("keeps counting in memory, never throws, and reports the problem once", () => {
    const problems: string[] = [];
    // A folder under a character device: mkdir fails (ENOTDIR), as on a read-only disk.
    const ledger = new FileAttemptLedger("/dev/null/amqp-mesh/ledger.json", undefined, (m) =>
      problems.push(m),
    );
    expect(() => ledger.set([["k", 1]])).not.toThrow();
    expect(() => ledger.set([["k", 2]])).not.toThrow();
    expect(ledger.get("k")).toBe(2);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/cannot be written .*counted in memory only/);
  });
});
