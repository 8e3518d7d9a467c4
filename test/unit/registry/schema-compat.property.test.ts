import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import jsonSchemaDiff from "json-schema-diff";
import { describe, expect, it } from "vitest";
import { findSchemaBreakingChanges } from "../../../shared/registry/index.ts";
import { payload, richSchemaPair, schemaPair, withDefinitions } from "./schema-pairs.ts";

/** Changes that can make a valid payload invalid (a removed property may not: it matters to consumers). */
function validationChanges(previous: unknown, next: unknown) {
  return findSchemaBreakingChanges(previous, next).filter((c) => c.kind !== "property-removed");
}

describe("schema compatibility against a second opinion (json-schema-diff)", () => {
  it("finds a breaking change exactly when json-schema-diff finds removed values", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(schemaPair(2), withDefinitions(schemaPair(1))),
        async ([previous, next]) => {
          const theirs = await jsonSchemaDiff.diffSchemas({
            sourceSchema: structuredClone(previous),
            destinationSchema: structuredClone(next),
          });
          const ours = validationChanges(previous, next);
          expect(
            ours.length > 0,
            `ours: ${JSON.stringify(ours)}; theirs removed: ${JSON.stringify(theirs.removedJsonSchema)}`,
          ).toBe(theirs.removalsFound);
        },
      ),
      { numRuns: 300 },
    );
  });
});

const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: false });

describe("schema compatibility against Ajv (payloads that tell)", () => {
  it("reports a breaking change whenever a payload valid under the old schema fails the new one", () => {
    let witnessed = 0;
    fc.assert(
      fc.property(
        fc.oneof(richSchemaPair(2), withDefinitions(richSchemaPair(1))),
        fc.array(payload, { minLength: 20, maxLength: 40 }),
        ([previous, next], payloads) => {
          const before = ajv.compile(structuredClone(previous));
          const after = ajv.compile(structuredClone(next));
          const witness = payloads.find((p) => before(p) && !after(p));
          if (witness === undefined) return;
          witnessed++;
          expect(
            validationChanges(previous, next),
            `${JSON.stringify(witness)} passes ${JSON.stringify(previous)}, fails ${JSON.stringify(next)}`,
          ).not.toEqual([]);
        },
      ),
      { numRuns: 400 },
    );
    // The property proves nothing if the generated pairs never break a payload.
    expect(witnessed).toBeGreaterThan(50);
  });
});
