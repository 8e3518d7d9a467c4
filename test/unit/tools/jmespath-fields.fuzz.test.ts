/**
 * tools/bundle/substitutes/jmespath-fields.ts stands in for Powertools' JMESPath engine in the function
 * bundles: for every field path it must answer what the real engine answers, on any JSON-like
 * data, and refuse every other expression instead of reading it some other way.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { search } from "../../../tools/bundle/substitutes/jmespath-fields.ts";

// The engine Powertools idempotency itself resolves (its own dependency, wherever npm put it).
const idempotency = createRequire(import.meta.url).resolve("@aws-lambda-powertools/idempotency");
const enginePath = createRequire(idempotency).resolve("@aws-lambda-powertools/jmespath");
const engine = (await import(
  pathToFileURL(join(dirname(enginePath), "..", "esm", "index.js")).href
)) as { search(expression: string, data: unknown): unknown };

// The engine's parse cache is a plain object: an expression that is the name of one of
// Object.prototype's properties (`constructor`, `toString`, `__proto__`) breaks it, so those
// are compared only as later fields of a path (and `__proto__` not at all).
const identifier = fc.oneof(
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/).filter((s) => s !== "__proto__"),
  fc.constantFrom("key", "constructor", "toString", "hasOwnProperty", "length", "true", "null"),
);
const path = fc
  .array(identifier, { minLength: 1, maxLength: 4 })
  .map((p) => p.join("."))
  .filter((p) => !(p in Object.prototype));

/** Data with the path's fields present (or not) at random depths. */
const data = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.string(),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(identifier, tie("value"), { maxKeys: 4 }),
  ),
})).value;

describe("the bundles' JMESPath field paths (tools/bundle/substitutes/jmespath-fields.ts)", () => {
  it("answers every field path as Powertools' JMESPath engine does", () => {
    fc.assert(
      fc.property(path, data, (expression, value) => {
        // The engine reads inherited members as fields (`length.toString` on {"length":{}} is
        // Object.prototype.toString): never JSON, and ours answers null for what is not there.
        const expected = engine.search(expression, value);
        expect(search(expression, value)).toEqual(typeof expected === "function" ? null : expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it("answers the triggers' guard's path, `key`, on its input", () => {
    const input = { key: "billing/invoices|sales|inv-1", work: async () => {} };
    expect(search("key", input)).toBe("billing/invoices|sales|inv-1");
    expect(search("key", input)).toBe(engine.search("key", input));
  });

  it("reads no inherited property: `__proto__` of any data is null", () => {
    expect(search("__proto__", { a: 1 })).toBeNull();
    expect(search("a.__proto__", { a: {} })).toBeNull();
    expect(search("constructor", {})).toBeNull();
    expect(search("a.toString", { a: { b: 1 } })).toBeNull();
  });

  it("refuses every expression that is not a field path, naming it", () => {
    const other = fc.oneof(
      fc.constantFrom("a[0]", "a.*", "[key]", "`1`", "a || b", "length(a)", "a.b[?c]", "", " key"),
      fc.string().filter((s) => !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(s)),
    );
    fc.assert(
      fc.property(other, (expression) => {
        expect(() => search(expression, {})).toThrow(
          `JMESPath expression ${JSON.stringify(expression)} is not a field path`,
        );
      }),
    );
  });
});
