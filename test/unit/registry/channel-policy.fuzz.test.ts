import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChannelPolicies, type ChannelRegistry } from "../../../shared/registry/index.ts";

const segment = fc.constantFrom("a", "b", "orders", "dead", "x.y", "");
const address = fc
  .array(fc.tuple(segment, fc.constantFrom("/", ".", "//")), { maxLength: 4 })
  .map((parts) => parts.map(([s, sep]) => s + sep).join(""));

const registry: fc.Arbitrary<ChannelRegistry> = fc
  .uniqueArray(address, { maxLength: 6 })
  .map((addresses) => ({
    teams: [{ team: "t", principals: ["p1", "p2"], channels: [], file: "t.yaml" }],
    channels: addresses.map((a, i) => ({
      address: a,
      description: "c",
      version: 1,
      distribution: "balanced" as const,
      delivery: "at-least-once" as const,
      routing: { kind: "message" as const },
      maxMessageSize: 1000 + i,
      replyTo: false,
      producers: i % 2 === 0 ? ["t"] : ["bot"],
      consumers: [],
      owner: "t",
      source: { file: "t.yaml", line: 1, column: 1 },
    })),
  }));

/** The oracle: every channel whose segments start the address's, the longest one. */
function bruteForce(reg: ChannelRegistry, target: string) {
  const split = (s: string) => s.split(/[./]/).filter((x) => x !== "");
  const mine = split(target);
  let best: { address: string; length: number } | undefined;
  for (const c of reg.channels) {
    const theirs = split(c.address);
    if (theirs.length === 0 || theirs.length > mine.length) continue;
    if (!theirs.every((s, i) => mine[i] === s)) continue;
    if (best === undefined || theirs.length > best.length)
      best = { address: c.address, length: theirs.length };
  }
  return best?.address;
}

describe("ChannelPolicies lookup", () => {
  it("never throws on any string and finds what a brute-force search finds", () => {
    fc.assert(
      fc.property(
        registry,
        fc.oneof(address, fc.string(), fc.string({ unit: "grapheme" })),
        (reg, a) => {
          const found = new ChannelPolicies(reg).lookup(a);
          const expected = bruteForce(reg, a);
          // Channels with the same segments are one channel; the first registered is kept.
          if (expected === undefined) expect(found).toBeUndefined();
          else
            expect(found?.address.split(/[./]/).filter(Boolean)).toEqual(
              expected.split(/[./]/).filter(Boolean),
            );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("resolves team producers to principals, other names as they are", () => {
    fc.assert(
      fc.property(registry, (reg) => {
        const policies = new ChannelPolicies(reg);
        for (const c of reg.channels) {
          const found = policies.lookup(c.address);
          if (found === undefined) continue;
          expect(found.producers).toEqual(found.maxMessageSize % 2 === 0 ? ["p1", "p2"] : ["bot"]);
        }
      }),
    );
  });
});
