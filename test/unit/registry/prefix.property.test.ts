import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ADDRESS_PATTERN,
  addressSegments,
  prefixesOverlap,
  sameAddress,
} from "../../../shared/registry/index.ts";

const segment = fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/);
const separator = fc.constantFrom(".", "/");

/** An address made of 1..5 segments joined by '.' or '/', always valid for the registry. */
const address = fc
  .tuple(
    fc.array(segment, { minLength: 1, maxLength: 5 }),
    fc.array(separator, { minLength: 4, maxLength: 4 }),
  )
  .map(([segments, separators]) =>
    segments.map((s, i) => (i === 0 ? s : `${separators[i - 1]}${s}`)).join(""),
  )
  .filter((a) => ADDRESS_PATTERN.test(a));

describe("prefix overlap (router prefix matching on '.' and '/' boundaries)", () => {
  it("examples from the qdrouterd documentation", () => {
    expect(prefixesOverlap("my_address", "my_address.1")).toBe(true);
    expect(prefixesOverlap("my_address", "my_address/1")).toBe(true);
    expect(prefixesOverlap("my_address", "my_address1")).toBe(false);
    expect(sameAddress("foo.bar", "foo/bar")).toBe(true);
    expect(prefixesOverlap("sales/orders", "sales/orders.dead")).toBe(true);
    expect(addressSegments("/a//b.c")).toEqual(["a", "b", "c"]);
  });

  it("is symmetric", () => {
    fc.assert(
      fc.property(address, address, (a, b) => prefixesOverlap(a, b) === prefixesOverlap(b, a)),
    );
  });

  it("is reflexive", () => {
    fc.assert(fc.property(address, (a) => prefixesOverlap(a, a) && sameAddress(a, a)));
  });

  it("a prefix extended by a segment always overlaps it, whatever the separator", () => {
    fc.assert(
      fc.property(address, separator, segment, (a, sep, extra) =>
        prefixesOverlap(a, `${a}${sep}${extra}`),
      ),
    );
  });

  it("a prefix extended inside its last segment (no separator) never overlaps", () => {
    fc.assert(fc.property(address, segment, (a, extra) => !prefixesOverlap(a, `${a}${extra}`)));
  });

  it("two different first segments never overlap", () => {
    fc.assert(
      fc.property(address, address, (a, b) => {
        fc.pre(addressSegments(a)[0] !== addressSegments(b)[0]);
        return !prefixesOverlap(a, b);
      }),
    );
  });

  it("swapping '.' and '/' changes nothing", () => {
    const swap = (a: string) => a.replace(/[./]/g, (c) => (c === "." ? "/" : "."));
    fc.assert(
      fc.property(
        address,
        address,
        (a, b) => prefixesOverlap(a, b) === prefixesOverlap(swap(a), b),
      ),
    );
  });

  it("equal addresses are duplicates, and duplicates overlap", () => {
    fc.assert(fc.property(address, address, (a, b) => !sameAddress(a, b) || prefixesOverlap(a, b)));
  });
});
