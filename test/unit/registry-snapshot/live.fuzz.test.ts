/**
 * The live registry's input boundary, fuzzed: whatever text the store holds — a published
 * snapshot with a character changed, cut short or grown, arbitrary JSON, arbitrary text —
 * refresh() resolves, nothing is thrown out of the LiveRegistry, and it swaps only to a text
 * that says exactly what a published snapshot says (compared with JSON.parse, not the reader).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  LiveRegistry,
  liveValidators,
  runtimeValidators,
  snapshotDigest,
} from "../../../shared/registry-snapshot/index.ts";
import { exampleSnapshot } from "../trigger/snapshot.ts";
import { MemorySnapshotStore, withReturns } from "./live-support.ts";

const published = withReturns();
const publishedText = JSON.stringify(published);

/** A fresh live registry over a store holding `text`; its one refresh's outcome. */
async function readBy(text: string) {
  const store = new MemorySnapshotStore();
  store.write(text);
  const bundled = { snapshot: exampleSnapshot(), validators: runtimeValidators() };
  const lines: string[] = [];
  const registry = new LiveRegistry({
    bundled,
    store,
    validatorsFor: liveValidators(bundled),
    log: (l) => lines.push(l),
  });
  try {
    const outcome = await registry.refresh();
    return { outcome, digest: registry.current().digest, lines };
  } finally {
    registry.close();
  }
}

function sameAsPublished(text: string): boolean {
  try {
    expect(JSON.parse(text)).toEqual(published);
    return true;
  } catch {
    return false;
  }
}

const damaged = fc.oneof(
  // One character replaced.
  fc
    .tuple(
      fc.nat({ max: publishedText.length - 1 }),
      fc.string({ minLength: 1, maxLength: 1, unit: "binary" }),
    )
    .map(([i, c]) => publishedText.slice(0, i) + c + publishedText.slice(i + 1)),
  // Cut short (a torn read).
  fc.nat({ max: publishedText.length - 1 }).map((n) => publishedText.slice(0, n)),
  // Something inserted.
  fc
    .tuple(
      fc.nat({ max: publishedText.length }),
      fc.string({ minLength: 1, maxLength: 8, unit: "binary" }),
    )
    .map(([i, s]) => publishedText.slice(0, i) + s + publishedText.slice(i)),
);

describe("LiveRegistry reading damaged snapshots (fuzz)", () => {
  it("a published snapshot damaged anywhere is refused; the bundled registry stays", async () => {
    await fc.assert(
      fc.asyncProperty(damaged, async (text) => {
        const { outcome, digest, lines } = await readBy(text);
        if (outcome.kind === "swapped") {
          expect(sameAsPublished(text), text).toBe(true);
          expect(digest).toBe(published.digest);
        } else {
          expect(outcome.kind).toBe("refused");
          expect(digest).toBe(exampleSnapshot().digest);
          expect(lines).toHaveLength(1);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("arbitrary text and JSON never swap and never throw", async () => {
    const snapshotLike = fc.record({
      format: fc.oneof(fc.constant(1), fc.jsonValue()),
      digest: fc.oneof(fc.string(), fc.constant(published.digest)),
      teams: fc.oneof(fc.constant(published.teams), fc.jsonValue()),
      channels: fc.oneof(fc.constant(published.channels), fc.jsonValue()),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: "binary" }),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          snapshotLike.map((v) => JSON.stringify(v)),
        ),
        async (text) => {
          const { outcome, digest } = await readBy(text);
          if (outcome.kind === "swapped") expect(sameAsPublished(text), text).toBe(true);
          else expect(digest).toBe(exampleSnapshot().digest);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("a well-formed snapshot whose channels carry odd but digest-consistent values swaps or is refused, never throws", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            address: fc.string({ minLength: 1, maxLength: 20 }),
            owner: fc.constantFrom("sales", "billing", "nobody"),
            delivery: fc.constantFrom("at-least-once", "at-most-once"),
            maxMessageSize: fc.integer({ min: 1, max: 1_000_000 }),
            producers: fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }),
            schema: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue()), {
              nil: undefined,
            }),
          }),
          { maxLength: 4 },
        ),
        async (channels) => {
          const content = {
            teams: published.teams,
            channels: channels.map(({ schema, ...c }) =>
              schema === undefined ? c : { ...c, schema },
            ),
          };
          const text = JSON.stringify({ format: 1, digest: snapshotDigest(content), ...content });
          const { outcome } = await readBy(text);
          expect(["swapped", "refused"]).toContain(outcome.kind);
        },
      ),
      { numRuns: 200 },
    );
  });
});
