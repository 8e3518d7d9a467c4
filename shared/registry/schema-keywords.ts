/**
 * What a JSON Schema keyword allows, read one keyword at a time: types, enums and consts,
 * numeric bounds, dependencies, tuples; the keywords the compatibility check compares.
 */
import stableStringify from "fast-json-stable-stringify";
import { ANY, isSchema, own, type Schema } from "./schema-document.ts";

/** Keywords schema-compat.ts compares one by one; any other keyword is compared as a whole. */
export const COMPARED = new Set([
  "$ref",
  "type",
  "enum",
  "const",
  "maximum",
  "exclusiveMaximum",
  "maxLength",
  "maxItems",
  "maxProperties",
  "minimum",
  "exclusiveMinimum",
  "minLength",
  "minItems",
  "minProperties",
  "multipleOf",
  "pattern",
  "uniqueItems",
  "properties",
  "required",
  "additionalProperties",
  "unevaluatedProperties",
  "patternProperties",
  "propertyNames",
  "dependentRequired",
  "dependencies",
  "items",
  "prefixItems",
  "additionalItems",
  "if",
  "then",
  "else",
  "allOf",
  "anyOf",
  "oneOf",
  "not",
]);

export const UPPER_LIMITS = ["maxLength", "maxItems", "maxProperties"];

export const LOWER_LIMITS = ["minLength", "minItems", "minProperties"];

const ALL_TYPES = ["null", "boolean", "object", "array", "number", "string"];

/** Equal as JSON: key order and object prototypes do not count. */
export function sameJson(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}

export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

export function testPattern(pattern: string, name: string): boolean | undefined {
  try {
    return new RegExp(pattern, "u").test(name);
  } catch {
    return undefined;
  }
}

/**
 * The schemas a property `name` that `schema` does not list must match (its patterns, else
 * additionalProperties), each with the keyword path it stands at.
 */
export function schemasOfName(schema: Schema, name: string): [unknown, string[]][] {
  const matched = Object.entries(schemaMap(own(schema, "patternProperties")))
    .filter(([pattern]) => testPattern(pattern, name) !== false)
    .map(([pattern, s]): [unknown, string[]] => [s, ["patternProperties", pattern]]);
  if (matched.length > 0) return matched;
  return [[own(schema, "additionalProperties") ?? ANY, ["additionalProperties"]]];
}

export function typesOf(schema: Schema): Set<string> | undefined {
  const type = own(schema, "type");
  if (typeof type === "string") return new Set([type]);
  if (Array.isArray(type)) return new Set(type.filter((t): t is string => typeof t === "string"));
  return undefined;
}

/** Types the old schema accepted that the new one does not ("integer" fits inside "number"). */
export function lostTypes(
  previous: Set<string> | undefined,
  next: Set<string> | undefined,
): string[] {
  if (next === undefined) return [];
  const accepted = previous ?? new Set(ALL_TYPES);
  return [...accepted].filter((t) => !next.has(t) && !(t === "integer" && next.has("number")));
}

/** The JSON types of a list of values ("integer" for whole numbers); undefined for no list. */
export function typesOfValues(values: unknown[] | undefined): Set<string> | undefined {
  if (values === undefined) return undefined;
  return new Set(
    values.map((v) =>
      v === null
        ? "null"
        : Array.isArray(v)
          ? "array"
          : typeof v === "number"
            ? Number.isInteger(v)
              ? "integer"
              : "number"
            : typeof v,
    ),
  );
}

/** The values the schema is limited to by `const` or `enum`; undefined when not limited. */
export function allowedValues(schema: Schema): unknown[] | undefined {
  const values = own(schema, "enum");
  if (Object.hasOwn(schema, "const")) {
    const only = schema.const;
    return Array.isArray(values) && !values.some((v) => sameJson(v, only)) ? [] : [only];
  }
  return Array.isArray(values) ? values : undefined;
}

export interface Bound {
  value: number;
  exclusive: boolean;
  keyword: string;
}

/** The tighter of `maximum`/`exclusiveMaximum` (or of the minimums): what the schema enforces. */
export function numericBound(schema: Schema, side: "maximum" | "minimum"): Bound | undefined {
  const exclusiveKeyword = side === "maximum" ? "exclusiveMaximum" : "exclusiveMinimum";
  const inclusive = own(schema, side);
  const exclusive = own(schema, exclusiveKeyword);
  const bounds: Bound[] = [];
  if (typeof inclusive === "number" && Number.isFinite(inclusive))
    bounds.push({ value: inclusive, exclusive: false, keyword: side });
  if (typeof exclusive === "number" && Number.isFinite(exclusive))
    bounds.push({ value: exclusive, exclusive: true, keyword: exclusiveKeyword });
  return bounds.reduce<Bound | undefined>(
    (tightest, b) => (tightest === undefined || boundNarrowed(tightest, b, side) ? b : tightest),
    undefined,
  );
}

/** Whether bound `now` refuses a number that bound `was` (none: no bound) let through. */
export function boundNarrowed(
  was: Bound | undefined,
  now: Bound,
  side: "maximum" | "minimum",
): boolean {
  if (was === undefined) return true;
  if (now.value !== was.value)
    return side === "maximum" ? now.value < was.value : now.value > was.value;
  return now.exclusive && !was.exclusive;
}

export function isWholeMultiple(value: number, divisor: number): boolean {
  const ratio = value / divisor;
  return Number.isFinite(ratio) && ratio >= 1 && Math.abs(ratio - Math.round(ratio)) < 1e-9 * ratio;
}

export function schemaMap(value: unknown): Record<string, unknown> {
  return isSchema(value) ? value : {};
}

/** `dependentRequired` and the list form of draft-07 `dependencies`: [keyword, trigger, names]. */
export function dependentLists(schema: Schema): [string, string, string[]][] {
  const lists: [string, string, string[]][] = [];
  for (const keyword of ["dependentRequired", "dependencies"])
    for (const [trigger, names] of Object.entries(schemaMap(own(schema, keyword))))
      if (Array.isArray(names)) lists.push([keyword, trigger, stringList(names)]);
  return lists;
}

/** Positional item schemas: `prefixItems`, or the list form of draft-07 `items`. */
export function tupleOf(schema: Schema): { keyword: string; schemas: unknown[] } {
  const prefix = own(schema, "prefixItems");
  if (Array.isArray(prefix)) return { keyword: "prefixItems", schemas: prefix };
  const items = own(schema, "items");
  if (Array.isArray(items)) return { keyword: "items", schemas: items };
  return { keyword: "prefixItems", schemas: [] };
}

/** The schema of the items after the positional ones (`items`, or draft-07 `additionalItems`). */
export function restOf(schema: Schema): { keyword: string; schema: unknown } {
  const items = own(schema, "items");
  if (Array.isArray(items))
    return { keyword: "additionalItems", schema: own(schema, "additionalItems") };
  return { keyword: "items", schema: items };
}
