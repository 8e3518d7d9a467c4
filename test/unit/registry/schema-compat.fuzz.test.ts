import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findSchemaBreakingChanges } from "../../../shared/registry/index.ts";

const KEYWORDS = [
  "$ref",
  "$defs",
  "definitions",
  "type",
  "properties",
  "required",
  "items",
  "prefixItems",
  "additionalItems",
  "additionalProperties",
  "patternProperties",
  "propertyNames",
  "dependentRequired",
  "dependencies",
  "if",
  "then",
  "else",
  "enum",
  "const",
  "multipleOf",
  "minimum",
  "exclusiveMaximum",
  "maxLength",
  "pattern",
  "uniqueItems",
  "allOf",
  "not",
  "a",
  "__proto__",
  "toString",
  "constructor",
];

const REFS = fc.constantFrom(
  "#",
  "#/$defs/a",
  "#/definitions/a",
  "#/properties/a",
  "#/$defs/a/items",
  "#/items/0",
  "#/%ZZ",
  "#/$defs/~2",
  "#anchor",
  "other.json#/a",
);

/** Schema-shaped JSON: the keywords in any combination, with values of any type. */
const schemaLike = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.jsonValue({ maxDepth: 2 }),
    fc.dictionary(
      fc.oneof(fc.constantFrom(...KEYWORDS), fc.string({ maxLength: 4 })),
      fc.oneof(tie("node"), REFS, fc.array(tie("node"), { maxLength: 3 })),
      { maxKeys: 6 },
    ),
  ),
})).node;

describe("findSchemaBreakingChanges on any JSON", () => {
  it("never throws and finds nothing between a schema and its copy", () => {
    fc.assert(
      fc.property(fc.oneof(schemaLike, fc.jsonValue()), (schema) => {
        expect(findSchemaBreakingChanges(schema, structuredClone(schema))).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws on any two JSON values, and every change points into the new schema's text", () => {
    fc.assert(
      fc.property(
        fc.oneof(schemaLike, fc.jsonValue()),
        fc.oneof(schemaLike, fc.jsonValue()),
        (previous, next) => {
          for (const change of findSchemaBreakingChanges(previous, next)) {
            expect(change.pointer === "" || change.pointer.startsWith("/")).toBe(true);
            expect(change.message.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("ends on schemas that refer to themselves in a loop", () => {
    const loop = {
      $defs: { a: { $ref: "#/$defs/b" }, b: { $ref: "#/$defs/a" } },
      $ref: "#/$defs/a",
    };
    const self = { properties: { x: { $ref: "#" } }, $ref: "#" };
    expect(findSchemaBreakingChanges(loop, structuredClone(loop))).toEqual([]);
    expect(findSchemaBreakingChanges(self, { ...self, required: ["x"] })).toEqual([
      expect.objectContaining({ kind: "property-required" }),
    ]);
  });
});
