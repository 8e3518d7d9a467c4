/**
 * Address configuration lookup (emulator/address-table.ts): prefixes and patterns match
 * whole tokens, `.` and `/` separate tokens alike, the most specific rule wins and an
 * address no rule matches is balanced — as qdrouterd's address table does (its parse tree,
 * src/parse_tree.c, treats `.` and `/` as the same separator).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AddressRule,
  AddressTable,
  matchPattern,
  tokenize,
} from "../../../emulator/routing/address-table.ts";
import type { AddressDistribution } from "../../../shared/router-vocabulary/index.ts";

function rule(
  spec: { prefix: string } | { pattern: string },
  distribution: AddressDistribution,
  source = JSON.stringify(spec),
): AddressRule {
  return { ...spec, distribution, waypoint: false, source };
}

function table(...rules: AddressRule[]): AddressTable {
  const t = new AddressTable();
  for (const r of rules) t.add(r);
  return t;
}

describe("AddressTable.lookup", () => {
  it("matches prefixes by whole tokens, with either separator", () => {
    const t = table(rule({ prefix: "orders" }, "closest"));
    for (const address of ["orders", "orders.eu", "orders/1", "orders/eu.2"]) {
      expect(t.lookup(address).distribution, address).toBe("closest");
    }
    for (const address of ["ordersX", "order", "x/orders", ""]) {
      expect(t.lookup(address).distribution, address).toBe("balanced");
      expect(t.lookup(address).rule, address).toBeUndefined();
    }
  });

  it("matches patterns: * is one token, # is zero or more", () => {
    const t = table(
      rule({ pattern: "sales/*/orders" }, "multicast"),
      rule({ pattern: "audit/#" }, "closest"),
    );
    expect(t.lookup("sales/eu/orders").distribution).toBe("multicast");
    expect(t.lookup("sales.eu.orders").distribution).toBe("multicast");
    expect(t.lookup("sales/eu/west/orders").distribution).toBe("balanced");
    expect(t.lookup("sales/orders").distribution).toBe("balanced");
    expect(t.lookup("audit").distribution).toBe("closest");
    expect(t.lookup("audit/a/b/c").distribution).toBe("closest");
  });

  it("prefers the most specific rule: longer prefix, more literals, prefix over equal pattern", () => {
    const t = table(
      rule({ prefix: "a" }, "balanced", "short"),
      rule({ prefix: "a/b" }, "closest", "long"),
      rule({ pattern: "a/b" }, "multicast", "pattern-same-literals"),
      rule({ pattern: "a/b/c" }, "multicast", "pattern-more-literals"),
    );
    expect(t.lookup("a/x").rule?.source).toBe("short");
    expect(t.lookup("a/b").rule?.source).toBe("long");
    expect(t.lookup("a/b/d").rule?.source).toBe("long");
    expect(t.lookup("a/b/c").rule?.source).toBe("pattern-more-literals");
  });

  it("forgets rules by source and on clear", () => {
    const t = table(
      rule({ prefix: "x" }, "closest", "one"),
      rule({ prefix: "y" }, "closest", "two"),
    );
    t.remove("one");
    expect(t.lookup("x").distribution).toBe("balanced");
    expect(t.lookup("y").distribution).toBe("closest");
    t.clear();
    expect(t.lookup("y").distribution).toBe("balanced");
  });

  it("reports the waypoint flag of the matching rule", () => {
    const t = new AddressTable();
    t.add({ prefix: "queued", distribution: "balanced", waypoint: true, source: "w" });
    expect(t.lookup("queued/orders").waypoint).toBe(true);
    expect(t.lookup("other").waypoint).toBe(false);
  });
});

describe("matchPattern", () => {
  it("counts literal tokens, -1 when it does not match", () => {
    expect(matchPattern(tokenize("a/*/c"), tokenize("a/b/c"))).toBe(2);
    expect(matchPattern(tokenize("#"), tokenize("a/b"))).toBe(0);
    expect(matchPattern(tokenize("a/#/d"), tokenize("a/d"))).toBe(2);
    expect(matchPattern(tokenize("a/#/d"), tokenize("a/b/c/d"))).toBe(2);
    expect(matchPattern(tokenize("a/*"), tokenize("a"))).toBe(-1);
  });
});

// ---- properties ---------------------------------------------------------------------------

const token = fc.constantFrom("a", "b", "c", "orders", "eu");
const tokens = fc.array(token, { minLength: 1, maxLength: 6 });
const separator = fc.constantFrom(".", "/");

/** Joins tokens with a separator chosen per gap. */
function joined(parts: readonly string[], seps: readonly string[]): string {
  return parts.reduce((acc, part, i) => (i === 0 ? part : `${acc}${seps[i - 1] ?? "."}${part}`));
}

describe("address matching properties (fast-check)", () => {
  it("`.` and `/` are the same separator, in the address and in the rules", () => {
    const rules = fc.array(
      fc.record({
        parts: tokens,
        seps: fc.array(separator, { maxLength: 6 }),
        kind: fc.constantFrom("prefix", "pattern"),
        wild: fc.array(fc.constantFrom("*", "#", undefined), { maxLength: 6 }),
        distribution: fc.constantFrom<AddressDistribution>("balanced", "closest", "multicast"),
      }),
      { maxLength: 5 },
    );
    fc.assert(
      fc.property(rules, tokens, fc.array(separator, { maxLength: 6 }), (specs, parts, seps) => {
        const dotted = new AddressTable();
        const mixed = new AddressTable();
        specs.forEach((s, i) => {
          const words = s.parts.map((p, j) => (s.kind === "pattern" ? (s.wild[j] ?? p) : p));
          const add = (t: AddressTable, text: string): void =>
            t.add(
              rule(
                s.kind === "prefix" ? { prefix: text } : { pattern: text },
                s.distribution,
                `r${i}`,
              ),
            );
          add(dotted, words.join("."));
          add(mixed, joined(words, s.seps));
        });
        const a = dotted.lookup(parts.join("."));
        const b = mixed.lookup(joined(parts, seps));
        expect(b.rule?.source).toBe(a.rule?.source);
        expect(b.distribution).toBe(a.distribution);
      }),
      { numRuns: 300 },
    );
  });

  it("the longest matching prefix wins, whatever the order rules were added in", () => {
    fc.assert(
      fc.property(
        tokens,
        fc.uniqueArray(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }),
        fc.array(tokens, { maxLength: 4 }),
        (address, lengths, others) => {
          const matching = lengths.filter((n) => n <= address.length);
          const rules: AddressRule[] = matching.map((n) =>
            rule({ prefix: address.slice(0, n).join("/") }, "closest", `len${n}`),
          );
          // Longer rules that share some leading tokens and then differ ("zz" is never a
          // token of the address) do not match and must never win.
          for (const [i, tail] of others.entries()) {
            const shared = address.slice(0, Math.min(i + 1, address.length - 1));
            const prefix = [...shared, "zz", ...tail].join(".");
            rules.push(rule({ prefix }, "multicast", `no${i}`));
          }
          for (const ordered of [rules, [...rules].reverse()]) {
            const found = table(...ordered).lookup(address.join("."));
            if (matching.length === 0) {
              expect(found.rule).toBeUndefined();
              expect(found.distribution).toBe("balanced");
            } else {
              expect(found.rule?.source).toBe(`len${Math.max(...matching)}`);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
