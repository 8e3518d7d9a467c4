import fc from "fast-check";

/**
 * Pairs of payload schemas (old, new) with one structure and independently drawn keywords,
 * so that each keyword is tightened, loosened or left alone at random. Every schema drawn is
 * satisfiable (min ≤ max, required names are listed), so that "breaking" means the same to
 * every judge: some payload valid under the old schema is invalid under the new one.
 */
export type JsonSchema = Record<string, unknown>;
export type SchemaPair = [JsonSchema, JsonSchema];

const NAMES = ["a", "b", "c"] as const;

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });

function withDefined(entries: Record<string, unknown>): JsonSchema {
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined));
}

/** min/max keyword values that never contradict each other. */
const range = (min: string, max: string, top: number, lowestMax = 0) =>
  fc
    .tuple(maybe(fc.integer({ min: 0, max: top })), maybe(fc.integer({ min: lowestMax, max: top })))
    .map(([x, y]) => {
      if (x !== undefined && y !== undefined)
        return { [min]: Math.min(x, y), [max]: Math.max(x, y) };
      return withDefined({ [min]: x, [max]: y });
    });

const stringKeywords = range("minLength", "maxLength", 4);
const integerKeywords = range("minimum", "maximum", 6);
const numberKeywords = fc.oneof(
  integerKeywords,
  // Exclusive bounds only on numbers: for integers `exclusiveMinimum: 1` is `minimum: 2`,
  // which a judge may or may not see.
  fc
    .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 4, max: 8 }))
    .map(([low, high]) => ({ exclusiveMinimum: low, exclusiveMaximum: high })),
);

type Kind = "string" | "number" | "integer" | "boolean" | "null" | "object" | "array";

/** A type each side, often the same, sometimes widened or narrowed. */
const leafTypes = fc.constantFrom<[Kind | Kind[], Kind | Kind[]]>(
  ["string", "string"],
  ["number", "number"],
  ["integer", "integer"],
  ["integer", "number"],
  ["number", "integer"],
  ["boolean", "boolean"],
  ["string", ["string", "null"]],
  [["string", "null"], "string"],
  ["null", "null"],
);

function keywordsFor(type: Kind | Kind[]): fc.Arbitrary<JsonSchema> {
  const main = Array.isArray(type) ? type[0] : type;
  if (main === "string") return stringKeywords;
  if (main === "integer") return integerKeywords;
  if (main === "number") return numberKeywords;
  return fc.constant({});
}

const leafPair: fc.Arbitrary<SchemaPair> = leafTypes.chain(([before, after]) => {
  // One type for the keywords of both sides, so a keyword never applies to one side only.
  const keywordType = Array.isArray(before) ? before[0]! : before;
  return fc.tuple(keywordsFor(keywordType), keywordsFor(keywordType)).map(
    ([k1, k2]): SchemaPair => [
      { type: before, ...k1 },
      { type: after, ...k2 },
    ],
  );
});

const additional = maybe(fc.boolean());

export function schemaPair(depth: number): fc.Arbitrary<SchemaPair> {
  if (depth <= 0) return leafPair;
  const inner = schemaPair(depth - 1);
  const objectPair = fc
    .record({
      before: fc.subarray([...NAMES]),
      after: fc.subarray([...NAMES]),
      children: fc.tuple(inner, inner, inner),
      requiredBefore: fc.subarray([...NAMES]),
      requiredAfter: fc.subarray([...NAMES]),
      additionalBefore: additional,
      additionalAfter: additional,
    })
    .map((o): SchemaPair => {
      const side = (names: string[], index: 0 | 1, required: string[], extra?: boolean) =>
        withDefined({
          type: "object",
          properties: Object.fromEntries(
            names.map((n) => [n, o.children[NAMES.indexOf(n as "a")]![index]]),
          ),
          required: required.filter((r) => names.includes(r)),
          additionalProperties: extra,
        });
      return [
        side(o.before, 0, o.requiredBefore, o.additionalBefore),
        side(o.after, 1, o.requiredAfter, o.additionalAfter),
      ];
    });
  const arrayPair = fc
    // maxItems ≥ 1: with `maxItems: 0` the item schema would check nothing.
    .tuple(inner, range("minItems", "maxItems", 3, 1), range("minItems", "maxItems", 3, 1))
    .map(
      ([[i1, i2], k1, k2]): SchemaPair => [
        { type: "array", items: i1, ...k1 },
        { type: "array", items: i2, ...k2 },
      ],
    );
  return fc.oneof({ weight: 2, arbitrary: objectPair }, arrayPair, leafPair);
}

/** The same pair with part of the structure moved behind same-document $refs into $defs. */
export function withDefinitions(pair: fc.Arbitrary<SchemaPair>): fc.Arbitrary<SchemaPair> {
  return fc
    .tuple(pair, leafPair, fc.boolean(), fc.boolean())
    .map(([[o, n], [d1, d2], oldRef, newRef]) => {
      const refer = (schema: JsonSchema, def: JsonSchema, useRef: boolean): JsonSchema => ({
        type: "object",
        properties: { main: schema, extra: useRef ? { $ref: "#/$defs/extra" } : def },
        $defs: { extra: def },
      });
      return [refer(o, d1, oldRef), refer(n, d2, newRef)];
    });
}

/**
 * Pairs that also use the keywords only our comparison and Ajv know: multipleOf, uniqueItems,
 * dependentRequired, propertyNames, patternProperties, if/then/else, enum, const, pattern.
 */
export function richSchemaPair(depth: number): fc.Arbitrary<SchemaPair> {
  const base = schemaPair(depth);
  const values: Record<string, fc.Arbitrary<unknown>> = {
    multipleOf: fc.constantFrom(1, 2, 3, 4, 0.5),
    uniqueItems: fc.boolean(),
    dependentRequired: fc.constantFrom({ a: ["b"] }, { a: ["b", "c"] }, { b: ["a"] }),
    propertyNames: fc.constantFrom({ maxLength: 1 }, { pattern: "^[ab]$" }, { minLength: 1 }),
    patternProperties: fc.constantFrom(
      { "^x": { type: "integer" } },
      { "^x": { type: "number" } },
      { "^[a-z]$": { type: ["integer", "string"] } },
    ),
    if: fc.constantFrom({ required: ["a"] }, { properties: { a: { const: 1 } } }),
    // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword, plain data
    then: fc.constantFrom({ required: ["b"] }, { maxProperties: 2 }, {}),
    else: fc.constantFrom({ required: ["c"] }, {}),
    enum: fc.constantFrom([1, 2, "x"], [1, "x"], [1, 2, "x", null]),
    const: fc.constantFrom(1, "x"),
    pattern: fc.constantFrom("^x", "^[a-z]*$"),
  };
  // A few keywords per pair, each present on either side or both, with its own value per side.
  const extras = fc
    .subarray(Object.keys(values), { maxLength: 2 })
    .chain((keys) =>
      fc.tuple(...keys.map((k) => fc.tuple(fc.constant(k), maybe(values[k]!), maybe(values[k]!)))),
    )
    .map(
      (entries): SchemaPair => [
        withDefined(Object.fromEntries(entries.map(([k, v]) => [k, v]))),
        withDefined(Object.fromEntries(entries.map(([k, , v]) => [k, v]))),
      ],
    );
  return fc.tuple(base, extras).map(
    ([[o, n], [e1, e2]]): SchemaPair => [
      { ...o, ...e1 },
      { ...n, ...e2 },
    ],
  );
}

/** Payloads made of the same names and small values the schemas speak about. */
export const payload: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(null, true, 0, 1, 2, 3, 4, 5, 6, 7, 1.5, -1, "", "x", "ab", "xyz", "abcde"),
    fc.array(tie("value"), { maxLength: 4 }),
    // Plain objects, as JSON.parse makes them (fast-check's dictionaries have no prototype).
    fc
      .dictionary(fc.constantFrom("a", "b", "c", "x1", "xy", "d"), tie("value"), { maxKeys: 4 })
      .map((d) => ({ ...d })),
    fc
      .dictionary(fc.constantFrom("a", "b", "c"), tie("value"), { minKeys: 1, maxKeys: 3 })
      .map((d) => ({ ...d })),
  ),
})).value;
