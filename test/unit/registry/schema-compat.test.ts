/* biome-ignore-all lint/suspicious/noThenProperty: JSON Schema's if/then/else, plain data never awaited */
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";

import {
  findSchemaBreakingChanges,
  type SchemaChangeKind,
} from "../../../shared/registry/index.ts";

/**
 * Per keyword, both directions: tightening is breaking, loosening is not. Each tightening
 * carries a witness payload that Ajv (the validator the registry uses) accepts under the old
 * schema and refuses under the new one, so the case itself is checked, not only the answer.
 */
interface Case {
  name: string;
  old: Record<string, unknown>;
  tighter: Record<string, unknown>;
  witness: unknown;
  kind: SchemaChangeKind;
  looser: Record<string, unknown>;
}

const TREE = (value: Record<string, unknown>) => ({
  $ref: "#/$defs/node",
  $defs: {
    node: {
      type: "object",
      properties: { value, children: { type: "array", items: { $ref: "#/$defs/node" } } },
    },
  },
});

const CASES: Case[] = [
  {
    name: "multipleOf added",
    old: { type: "number" },
    tighter: { type: "number", multipleOf: 0.5 },
    witness: 0.3,
    kind: "multiple-of-narrowed",
    looser: { type: ["number", "string"] },
  },
  {
    name: "multipleOf changed to a value the old one is no multiple of",
    old: { type: "integer", multipleOf: 4 },
    tighter: { type: "integer", multipleOf: 3 },
    witness: 4,
    kind: "multiple-of-narrowed",
    looser: { type: "integer", multipleOf: 2 },
  },
  {
    name: "uniqueItems",
    old: { type: "array", uniqueItems: false },
    tighter: { type: "array", uniqueItems: true },
    witness: [1, 1],
    kind: "unique-items-added",
    looser: { type: "array" },
  },
  {
    name: "dependentRequired",
    old: { type: "object", dependentRequired: { card: ["expiry"] } },
    tighter: { type: "object", dependentRequired: { card: ["expiry", "cvc"] } },
    witness: { card: "4111", expiry: "12/30" },
    kind: "dependency-required",
    looser: { type: "object", dependentRequired: { card: [] } },
  },
  {
    name: "propertyNames",
    old: { type: "object", propertyNames: { maxLength: 5 } },
    tighter: { type: "object", propertyNames: { maxLength: 3 } },
    witness: { abcd: 1 },
    kind: "limit-narrowed",
    looser: { type: "object", propertyNames: { type: "string", maxLength: 8 } },
  },
  {
    name: "propertyNames added where there were none",
    old: { type: "object" },
    tighter: { type: "object", propertyNames: { pattern: "^[a-z]+$" } },
    witness: { A: 1 },
    kind: "pattern-changed",
    // Property names are strings: saying so limits nothing.
    looser: { type: "object", propertyNames: { type: "string" } },
  },
  {
    name: "patternProperties narrowed",
    old: { type: "object", patternProperties: { "^x-": { type: "string" } } },
    tighter: { type: "object", patternProperties: { "^x-": { type: "string", maxLength: 2 } } },
    witness: { "x-a": "abc" },
    kind: "limit-narrowed",
    looser: { type: "object", patternProperties: { "^x-": { type: ["string", "number"] } } },
  },
  {
    name: "patternProperties added to an open object",
    old: {
      type: "object",
      properties: { "x-id": { type: "string" } },
      additionalProperties: { type: "string" },
    },
    tighter: {
      type: "object",
      properties: { "x-id": { type: "string" } },
      patternProperties: { "^x-": { type: "string", minLength: 3 } },
      additionalProperties: { type: "string" },
    },
    witness: { "x-id": "a" },
    kind: "limit-narrowed",
    looser: {
      type: "object",
      properties: { "x-id": { type: "string" } },
      patternProperties: { "^x-": { type: "string" } },
      additionalProperties: { type: "string" },
    },
  },
  {
    name: "patternProperties removed under additionalProperties: false",
    old: { type: "object", patternProperties: { "^x-": true }, additionalProperties: false },
    tighter: { type: "object", additionalProperties: false },
    witness: { "x-a": 1 },
    kind: "pattern-property-removed",
    looser: { type: "object", patternProperties: { "^x-": true } },
  },
  {
    name: "if/then: a then-branch that requires more",
    old: {
      type: "object",
      if: { properties: { kind: { const: "card" } }, required: ["kind"] },
      then: { required: ["card"] },
    },
    tighter: {
      type: "object",
      if: { properties: { kind: { const: "card" } }, required: ["kind"] },
      then: { required: ["card", "expiry"] },
    },
    witness: { kind: "card", card: "4111" },
    kind: "property-required",
    looser: {
      type: "object",
      if: { properties: { kind: { const: "card" } }, required: ["kind"] },
      then: { required: [] },
    },
  },
  {
    name: "if/then/else: a narrowed else-branch",
    old: {
      if: { type: "string" },
      then: { maxLength: 10 },
      else: { type: "number", maximum: 100 },
    },
    tighter: {
      if: { type: "string" },
      then: { maxLength: 10 },
      else: { type: "number", maximum: 50 },
    },
    witness: 60,
    kind: "limit-narrowed",
    looser: { if: { type: "string" }, then: { maxLength: 20 } },
  },
  {
    name: "if/then: a new condition",
    old: { type: "object" },
    tighter: {
      type: "object",
      if: { required: ["card"] },
      then: { required: ["expiry"] },
    },
    witness: { card: "4111" },
    kind: "conditional-changed",
    // A condition without a constraining branch constrains nothing.
    looser: { type: "object", if: { required: ["card"] }, then: true },
  },
  {
    name: "a definition behind $ref (#/$defs)",
    old: {
      properties: { amount: { $ref: "#/$defs/amount" } },
      $defs: { amount: { type: "number", maximum: 100 } },
    },
    tighter: {
      properties: { amount: { $ref: "#/$defs/amount" } },
      $defs: { amount: { type: "number", maximum: 10 } },
    },
    witness: { amount: 50 },
    kind: "limit-narrowed",
    looser: {
      properties: { amount: { $ref: "#/$defs/money" } },
      $defs: { money: { type: "number" } },
    },
  },
  {
    name: "a definition behind $ref (#/definitions), referred to from beside other keywords",
    old: {
      properties: { id: { $ref: "#/definitions/id", description: "the id" } },
      definitions: { id: { type: "string" } },
    },
    tighter: {
      properties: { id: { $ref: "#/definitions/id", minLength: 2 } },
      definitions: { id: { type: "string" } },
    },
    witness: { id: "a" },
    kind: "limit-narrowed",
    looser: {
      properties: { id: { $ref: "#/definitions/id" } },
      definitions: { id: { type: ["string", "integer"] } },
    },
  },
  {
    name: "a recursive definition (cycle through $ref), narrowed deep down",
    old: TREE({ type: "number" }),
    tighter: TREE({ type: "integer" }),
    witness: { value: 1, children: [{ value: 1, children: [{ value: 1.5 }] }] },
    kind: "type-narrowed",
    looser: TREE({ type: ["number", "string"] }),
  },
  {
    name: "the root referred to by '#'",
    old: { type: "object", properties: { next: { $ref: "#" }, n: { maximum: 9 } } },
    tighter: { type: "object", properties: { next: { $ref: "#" }, n: { maximum: 5 } } },
    witness: { next: { n: 7 } },
    kind: "limit-narrowed",
    looser: { type: ["object", "null"], properties: { next: { $ref: "#" }, n: { maximum: 9 } } },
  },
];

const ajv = new Ajv2020({ strict: false, validateFormats: false });
const valid = (schema: Record<string, unknown>, payload: unknown) =>
  ajv.compile(structuredClone(schema))(payload);

describe("findSchemaBreakingChanges, keyword by keyword", () => {
  for (const c of CASES) {
    it(`${c.name}: tightening is breaking`, () => {
      expect(valid(c.old, c.witness), "witness valid under the old schema").toBe(true);
      expect(valid(c.tighter, c.witness), "witness invalid under the new schema").toBe(false);
      const changes = findSchemaBreakingChanges(c.old, c.tighter);
      expect(changes.map((ch) => ch.kind)).toContain(c.kind);
    });

    it(`${c.name}: loosening is not`, () => {
      expect(valid(c.looser, c.witness), "the looser schema still takes the witness").toBe(true);
      expect(findSchemaBreakingChanges(c.old, c.looser)).toEqual([]);
    });
  }

  it("points into the definition a change was made in, and reports a shared one once", () => {
    const schema = (max: number) => ({
      properties: { a: { $ref: "#/$defs/n" }, b: { $ref: "#/$defs/n" } },
      $defs: { n: { type: "number", maximum: max } },
    });
    expect(findSchemaBreakingChanges(schema(10), schema(5))).toEqual([
      {
        kind: "limit-narrowed",
        pointer: "/$defs/n/maximum",
        message: "maximum of /$defs/n lowered from 10 to 5",
      },
    ]);
  });

  it("compares remote references by name, since it cannot read them", () => {
    const remote = (ref: string) => ({ properties: { a: { $ref: ref } } });
    expect(
      findSchemaBreakingChanges(
        remote("https://example.org/a.json"),
        remote("https://example.org/b.json"),
      ),
    ).toEqual([expect.objectContaining({ kind: "ref-changed", pointer: "/properties/a/$ref" })]);
    expect(
      findSchemaBreakingChanges(
        remote("https://example.org/a.json"),
        remote("https://example.org/a.json"),
      ),
    ).toEqual([]);
  });

  it("reports a keyword it does not model when it is added or changed", () => {
    expect(
      findSchemaBreakingChanges({ type: "array" }, { type: "array", contains: { const: 1 } }),
    ).toEqual([expect.objectContaining({ kind: "keyword-changed", pointer: "/contains" })]);
    expect(
      findSchemaBreakingChanges({ type: "string" }, { type: "string", title: "renamed" }),
    ).toEqual([]);
  });
});
