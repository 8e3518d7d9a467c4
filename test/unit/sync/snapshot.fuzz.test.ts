/**
 * The store boundary under arbitrary object keys: a snapshot either refuses the key with a
 * SnapshotError or, loaded, writes nothing outside its own temporary folder.
 */
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadSnapshot, makeSnapshot, SnapshotError } from "../../../shared/sync/index.ts";

const segment = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom("..", ".", "", "registry", "%2e%2e", "\\..", "a\u0000b"),
);
const key = fc.oneof(
  fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join("/")),
  fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `registry/${parts.join("/")}`),
  fc.string(),
);

describe("snapshot fuzz", () => {
  it("arbitrary keys: refused with a SnapshotError, or kept inside the project", async () => {
    const before = new Set(await readdir(tmpdir()));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ path: key, content: fc.string({ maxLength: 20 }) }), { maxLength: 4 }),
        async (files) => {
          let snapshot: ReturnType<typeof makeSnapshot>;
          try {
            snapshot = makeSnapshot(files, "fuzz://");
          } catch (error) {
            expect(error).toBeInstanceOf(SnapshotError);
            return;
          }
          for (const file of snapshot.files)
            expect(file.path === "topology.yaml" || file.path.startsWith("registry/")).toBe(true);
          const loaded = await loadSnapshot(snapshot);
          expect(Array.isArray(loaded.diagnostics)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
    // Every temporary folder was removed; nothing new appeared next to them.
    const after = (await readdir(tmpdir())).filter(
      (n) => !before.has(n) && n.startsWith("amqp-mesh-sync-"),
    );
    expect(after).toEqual([]);
  });
});
