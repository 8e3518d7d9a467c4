/**
 * The address overlap rules (registry/duplicate-address, registry/prefix-overlap) over random
 * registries whose addresses share segments often. The oracle is the rule's definition,
 * written out here: every channel is compared with every earlier channel, and two addresses
 * overlap when the segments of one start with all the segments of the other (split at `.`
 * and `/`, empty segments dropped). A conflict inside one team (a duplicate) is reported once,
 * on the later channel; one between teams on both channels, each naming the other (no last
 * good registry says which came first). The rule itself looks overlaps up in maps.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type RegisteredChannel, validateRegistry } from "../../../shared/registry/index.ts";
import { registryOf } from "../router-config/builders.ts";

const segments = (address: string) => address.split(/[./]/).filter((s) => s !== "");

function startsWith(long: string[], short: string[]): boolean {
  return short.length <= long.length && short.every((s, i) => long[i] === s);
}

const where = (c: RegisteredChannel) => `${c.source.file}:${c.source.line}:${c.source.column}`;

/** [code, where the diagnostic points, where the other channel is] in the rule's order. */
function expected(channels: readonly RegisteredChannel[]): string[][] {
  const out: string[][] = [];
  for (const [i, channel] of channels.entries()) {
    const own = segments(channel.address);
    for (const earlier of channels.slice(0, i)) {
      const other = segments(earlier.address);
      if (!startsWith(own, other) && !startsWith(other, own)) continue;
      const code =
        own.length === other.length ? "registry/duplicate-address" : "registry/prefix-overlap";
      if (channel.owner === earlier.owner) {
        if (own.length === other.length) out.push([code, where(channel), where(earlier)]);
      } else {
        out.push([code, where(channel), where(earlier)]);
        out.push([code, where(earlier), where(channel)]);
      }
    }
  }
  return out;
}

const address = fc
  .array(fc.constantFrom("a", "b", "c"), { minLength: 1, maxLength: 4 })
  .chain((parts) =>
    fc
      .array(fc.constantFrom(".", "/"), {
        minLength: parts.length,
        maxLength: parts.length,
      })
      .map((seps) => parts.map((p, i) => (i === 0 ? p : `${seps[i]}${p}`)).join("")),
  );

const teams = fc.array(
  fc.array(address, { maxLength: 8 }).map((addresses) => addresses),
  { minLength: 1, maxLength: 3 },
);

describe("address overlap rules (property)", () => {
  it("report exactly the overlapping pairs of the definition, in its order", () => {
    fc.assert(
      fc.property(teams, (addressesPerTeam) => {
        const registry = registryOf(
          addressesPerTeam.map((addresses, t) => ({
            team: `team-${t}`,
            principals: [`svc-${t}`],
            channels: addresses.map((a) => ({
              address: a,
              description: "A channel.",
              producers: [`team-${t}`],
              consumers: [`team-${t}`],
            })),
          })),
        );
        const found = validateRegistry(registry)
          .filter(
            (d) => d.code === "registry/duplicate-address" || d.code === "registry/prefix-overlap",
          )
          .map((d) => {
            const other = / at (\S+:\d+:\d+)$/.exec(d.message)?.[1] ?? "";
            return [d.code, `${d.file}:${d.line}:${d.column}`, other];
          });
        expect(found).toEqual(expected(registry.channels));
      }),
      { numRuns: 500 },
    );
  });
});
