/**
 * Example messages and the page's embedded data, on generated input: a pattern sample the
 * sampler returns matches the pattern (JavaScript's own RegExp says so); an example claimed
 * valid passes Ajv, and the common keywords are always satisfied; the page's JSON survives any
 * text and never closes its <script>.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exampleMessage, patternSample, scriptSafeJson } from "../../../shared/catalog/index.ts";

const ajv = new Ajv2020({ strict: false });

const regexAtom = fc.oneof(
  fc.constantFrom("a", "Z", "0", "-", "\\d", "\\w", "\\.", "[a-z]", "[0-9A-F]", "[^x]", "."),
  fc.constantFrom("(ab|cd)", "(?:x|y)"),
);
const quantifier = fc.constantFrom("", "?", "*", "+", "{2}", "{1,3}", "+?");
const simplePattern = fc
  .array(fc.tuple(regexAtom, quantifier), { minLength: 1, maxLength: 6 })
  .chain((parts) =>
    fc
      .tuple(fc.boolean(), fc.boolean())
      .map(
        ([start, end]) =>
          `${start ? "^" : ""}${parts.map(([a, q]) => a + q).join("")}${end ? "$" : ""}`,
      ),
  );

const leaf: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ type: fc.constant("string"), pattern: simplePattern }),
  fc.record(
    {
      type: fc.constant("string"),
      minLength: fc.nat(5),
      maxLength: fc.integer({ min: 5, max: 9 }),
    },
    { requiredKeys: ["type"] },
  ),
  fc.record({ type: fc.constant("string"), format: fc.constantFrom("date-time", "email", "uuid") }),
  fc.record(
    {
      type: fc.constantFrom("integer", "number"),
      minimum: fc.integer({ min: -50, max: 50 }),
      multipleOf: fc.constantFrom(2, 5),
    },
    { requiredKeys: ["type"] },
  ),
  fc.record({
    enum: fc.uniqueArray(fc.jsonValue({ maxDepth: 1 }), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ const: fc.jsonValue({ maxDepth: 1 }) }),
  fc.record({ type: fc.constantFrom("boolean", "null") }),
);
const schema = fc.letrec<{ node: Record<string, unknown> }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc
      .dictionary(fc.stringMatching(/^[a-z]{1,6}$/), tie("node"), { maxKeys: 4 })
      .chain((properties) =>
        fc.record({
          type: fc.constant("object"),
          properties: fc.constant(properties),
          required: fc.subarray(Object.keys(properties)),
          additionalProperties: fc.boolean(),
        }),
      ),
    fc.record(
      { type: fc.constant("array"), items: tie("node"), minItems: fc.nat(3) },
      { requiredKeys: ["type", "items"] },
    ),
  ),
})).node;

describe("example messages", () => {
  it("a pattern sample, when there is one, matches the pattern", () => {
    fc.assert(
      fc.property(simplePattern, (pattern) => {
        const sample = patternSample(pattern);
        expect(sample, pattern).toBeDefined();
        expect(new RegExp(pattern, "u").test(sample!), `${pattern} ${sample}`).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("an unsupported pattern gives no sample, never a wrong one", () => {
    for (const pattern of ["(a)\\1", "(?=x)x", "a{", "[a", "a)"])
      expect(patternSample(pattern)).toBeUndefined();
  });

  it("examples of generated schemas pass Ajv, and one claimed valid always does", () => {
    fc.assert(
      fc.property(schema, (generated) => {
        const example = exampleMessage(generated);
        const passes = ajv.validate(generated, example.payload);
        expect(example.valid).toBe(passes);
        // These keywords are all the generator is asked to satisfy here.
        expect(passes, `${JSON.stringify(generated)} → ${JSON.stringify(example.payload)}`).toBe(
          true,
        );
      }),
      { numRuns: 300 },
    );
  });

  it("the same schema gives the same example", () => {
    fc.assert(
      fc.property(schema, (generated) => {
        expect(exampleMessage(generated)).toEqual(exampleMessage(structuredClone(generated)));
      }),
      { numRuns: 100 },
    );
  });
});

describe("the page's embedded data", () => {
  it("any JSON survives, and nothing in it closes the <script> element", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: "binary" }), (value, text) => {
        const data = { value, text: `${text}</script><!--` };
        const embedded = scriptSafeJson(data);
        expect(embedded).not.toMatch(/<|\u2028|\u2029/);
        expect(JSON.parse(embedded)).toEqual(JSON.parse(JSON.stringify(data)));
      }),
    );
  });
});
