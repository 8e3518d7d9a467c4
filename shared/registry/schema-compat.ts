import stableStringify from "fast-json-stable-stringify";

/**
 * Payload schema compatibility: which changes from one JSON Schema to its successor can make a
 * payload that the old schema accepted invalid under the new one (or drop a property a
 * consumer relied on). Conservative: what it cannot judge exactly it reports as breaking.
 */

export type SchemaChangeKind =
  | "property-removed"
  | "property-required"
  | "dependency-required"
  | "type-narrowed"
  | "enum-value-removed"
  | "enum-added"
  | "const-changed"
  | "additional-properties-closed"
  | "pattern-property-removed"
  | "limit-narrowed"
  | "multiple-of-narrowed"
  | "unique-items-added"
  | "pattern-changed"
  | "conditional-changed"
  | "ref-changed"
  | "combinator-changed"
  | "keyword-changed";

export interface SchemaChange {
  kind: SchemaChangeKind;
  /** JSON pointer into the new payload schema ("" for the whole schema). */
  pointer: string;
  message: string;
}

type Schema = Record<string, unknown>;

/** Accepts everything; one frozen object so that the cycle guard sees the same node each time. */
const ANY: Schema = Object.freeze({});
/** Property names are strings: the old side of a propertyNames comparison knows that much. */
const ANY_NAME: Schema = Object.freeze({ type: "string" });

/** Keywords that constrain nothing (annotations, identifiers, definitions). */
const IGNORED = new Set([
  "$schema",
  "$id",
  "$anchor",
  "$dynamicAnchor",
  "$comment",
  "$defs",
  "definitions",
  "$vocabulary",
  "title",
  "description",
  "default",
  "examples",
  "deprecated",
  "readOnly",
  "writeOnly",
]);

/** Keywords compared one by one below; any other keyword is compared as a whole. */
const COMPARED = new Set([
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

const UPPER_LIMITS = ["maxLength", "maxItems", "maxProperties"];
const LOWER_LIMITS = ["minLength", "minItems", "minProperties"];
const ALL_TYPES = ["null", "boolean", "object", "array", "number", "string"];

/** Equal as JSON: key order and object prototypes do not count. */
function sameJson(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}

function isSchema(value: unknown): value is Schema {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function own(schema: Schema, key: string): unknown {
  return Object.hasOwn(schema, key) ? schema[key] : undefined;
}

function escapeSegment(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

function child(pointer: string, ...segments: string[]): string {
  return pointer + segments.map((s) => `/${escapeSegment(s)}`).join("");
}

function where(pointer: string): string {
  return pointer === "" ? "the payload" : pointer;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** The tokens of a same-document JSON pointer reference (`#`, `#/$defs/a`); else undefined. */
function localPointer(ref: string): string[] | undefined {
  if (!ref.startsWith("#")) return undefined;
  let fragment: string;
  try {
    fragment = decodeURIComponent(ref.slice(1));
  } catch {
    return undefined;
  }
  if (fragment === "") return [];
  // "#name" is an $anchor: not followed, compared by name.
  if (!fragment.startsWith("/")) return undefined;
  return fragment
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function lookup(root: unknown, tokens: readonly string[]): unknown {
  let node = root;
  for (const token of tokens) {
    if (Array.isArray(node)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      node = node[Number(token)];
    } else if (isSchema(node) && Object.hasOwn(node, token)) {
      node = node[token];
    } else return undefined;
  }
  return node;
}

function testPattern(pattern: string, name: string): boolean | undefined {
  try {
    return new RegExp(pattern, "u").test(name);
  } catch {
    return undefined;
  }
}

/** One side of the comparison: its document (for `$ref`) and the nodes made from it. */
class SchemaDocument {
  private readonly merged = new WeakMap<object, unknown>();
  private readonly names = new WeakMap<object, Schema>();

  readonly root: unknown;

  constructor(root: unknown) {
    this.root = root;
  }

  /**
   * Follows same-document `$ref`s: the result is the target with the keywords beside the
   * `$ref` laid over it (`required` and `properties` joined, others beside the `$ref` win).
   * `pointer` becomes the target's place when the `$ref` stood alone. Remote references,
   * anchors, missing targets and cycles stop here; the `$ref` is then compared by name.
   */
  resolve(node: unknown, pointer: string): { schema: unknown; pointer: string } {
    let current = node;
    let place = pointer;
    const followed = new Set<string>();
    while (isSchema(current) && typeof current.$ref === "string") {
      const tokens = localPointer(current.$ref);
      const key = tokens?.join("\u0000");
      if (tokens === undefined || key === undefined || followed.has(key)) break;
      followed.add(key);
      const target = lookup(this.root, tokens);
      if (target !== true && target !== false && !isSchema(target)) break;
      // A $ref alone is its target (the same node from every place that refers to it).
      if (Object.keys(current).every((k) => k === "$ref" || IGNORED.has(k))) {
        current = target;
        place = tokens.length === 0 ? "" : child("", ...tokens);
      } else current = this.mergeRef(current, target);
    }
    return { schema: current, pointer: place };
  }

  /** The same object every time for the same node, so that the cycle guard can see repeats. */
  private mergeRef(node: Schema, target: Schema | boolean): unknown {
    const cached = this.merged.get(node);
    if (cached !== undefined) return cached;
    const { $ref: _ref, ...beside } = node;
    let result: unknown;
    if (target === false) result = false;
    else if (target === true) result = beside;
    else {
      const merged: Schema = { ...target };
      for (const [key, value] of Object.entries(beside)) {
        const under = own(target, key);
        if (key === "required" && Array.isArray(under) && Array.isArray(value))
          merged.required = [...new Set([...under, ...value])];
        else if (key === "properties" && isSchema(under) && isSchema(value))
          merged.properties = { ...under, ...value };
        else merged[key] = value;
      }
      result = merged;
    }
    this.merged.set(node, result);
    return result;
  }

  /** The old schema of property names: its `propertyNames`, known to be about strings. */
  namesSchema(propertyNames: unknown): unknown {
    if (propertyNames === undefined || propertyNames === true) return ANY_NAME;
    if (!isSchema(propertyNames)) return propertyNames;
    let cached = this.names.get(propertyNames);
    if (cached === undefined) {
      cached =
        own(propertyNames, "type") === undefined
          ? { type: "string", ...propertyNames }
          : propertyNames;
      this.names.set(propertyNames, cached);
    }
    return cached;
  }
}

/** `shape`: the schema describes the payload's shape (so a removed property matters to consumers). */
class Comparison {
  readonly changes: SchemaChange[] = [];
  private readonly compared = new Set<string>();
  private readonly ids = new WeakMap<object, number>();
  private lastId = 0;
  private readonly previous: SchemaDocument;
  private readonly next: SchemaDocument;

  constructor(previous: SchemaDocument, next: SchemaDocument) {
    this.previous = previous;
    this.next = next;
  }

  private readonly reported = new Set<string>();

  /** Once per kind, place and message: a node reached both merged and alone says it once. */
  private report(kind: SchemaChangeKind, pointer: string, message: string): void {
    const key = `${kind} ${pointer} ${message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.changes.push({ kind, pointer, message });
  }

  private id(value: unknown): string {
    if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "undefined";
    let id = this.ids.get(value);
    if (id === undefined) {
      id = ++this.lastId;
      this.ids.set(value, id);
    }
    return `#${id}`;
  }

  compare(previousNode: unknown, nextNode: unknown, pointer: string, shape: boolean): void {
    const before = this.previous.resolve(previousNode, pointer).schema;
    const resolved = this.next.resolve(nextNode, pointer);
    const after = resolved.schema;
    const at = resolved.pointer;
    // Each pair of nodes once: ends recursion through cyclic $refs, and reports a shared
    // definition once, at its own place.
    const key = `${this.id(before)} ${this.id(after)} ${shape}`;
    if (this.compared.has(key)) return;
    this.compared.add(key);

    if (after === false) {
      if (before !== false)
        this.report("type-narrowed", at, `${where(at)} now accepts nothing (false)`);
      return;
    }
    if (!isSchema(after) || before === false) return;
    const old = isSchema(before) ? before : ANY;
    this.compareValues(old, after, at);
    this.compareLimits(old, after, at);
    this.compareObjects(old, after, at, shape);
    this.compareArrays(old, after, at, shape);
    this.compareConditionals(old, after, at);
    this.compareReferences(old, after, at);
    this.compareOthers(old, after, at);
  }

  private compareValues(before: Schema, after: Schema, at: string): void {
    const allowedBefore = allowedValues(before);
    const lost = lostTypes(typesOf(before) ?? typesOfValues(allowedBefore), typesOf(after));
    if (lost.length > 0)
      this.report(
        "type-narrowed",
        child(at, "type"),
        `type of ${where(at)} narrowed from ${JSON.stringify(own(before, "type") ?? "any")} to ${JSON.stringify(after.type)}`,
      );
    const nextEnum = own(after, "enum");
    if (Array.isArray(nextEnum)) {
      if (allowedBefore === undefined)
        this.report(
          "enum-added",
          child(at, "enum"),
          `${where(at)} is now limited to the values ${JSON.stringify(nextEnum)}`,
        );
      else
        for (const value of allowedBefore)
          if (!nextEnum.some((v) => sameJson(v, value)))
            this.report(
              "enum-value-removed",
              child(at, "enum"),
              `enum value ${JSON.stringify(value)} of ${where(at)} was removed`,
            );
    }
    if (Object.hasOwn(after, "const")) {
      const same = allowedBefore?.every((v) => sameJson(v, after.const)) === true;
      if (!same)
        this.report(
          "const-changed",
          child(at, "const"),
          `${where(at)} must now be exactly ${JSON.stringify(after.const)}`,
        );
    }
    const pattern = own(after, "pattern");
    if (typeof pattern === "string" && pattern !== own(before, "pattern"))
      this.report(
        "pattern-changed",
        child(at, "pattern"),
        `pattern of ${where(at)} ${own(before, "pattern") === undefined ? "added" : "changed"}: ${pattern}`,
      );
  }

  private compareLimits(before: Schema, after: Schema, at: string): void {
    for (const side of ["maximum", "minimum"] as const) {
      const was = numericBound(before, side);
      const now = numericBound(after, side);
      if (now === undefined || !boundNarrowed(was, now, side)) continue;
      const text = (b: Bound) => `${b.value}${b.exclusive ? " (exclusive)" : ""}`;
      this.report(
        "limit-narrowed",
        child(at, now.keyword),
        was === undefined
          ? `${now.keyword} ${now.value} added to ${where(at)}`
          : `${side} of ${where(at)} ${side === "maximum" ? "lowered" : "raised"} from ${text(was)} to ${text(now)}`,
      );
    }
    for (const keyword of [...UPPER_LIMITS, ...LOWER_LIMITS]) {
      const upper = UPPER_LIMITS.includes(keyword);
      // A count is never below 0: `minItems: 0` says nothing.
      const was = own(before, keyword) ?? (upper ? undefined : 0);
      const now = own(after, keyword);
      if (typeof now !== "number") continue;
      const narrowed = typeof was !== "number" || (upper ? now < was : now > was);
      if (!narrowed) continue;
      this.report(
        "limit-narrowed",
        child(at, keyword),
        typeof was === "number"
          ? `${keyword} of ${where(at)} ${upper ? "lowered" : "raised"} from ${was} to ${now}`
          : `${keyword} ${now} added to ${where(at)}`,
      );
    }
    const divisor = own(after, "multipleOf");
    if (typeof divisor === "number" && divisor > 0) {
      const was = own(before, "multipleOf");
      // Every old multiple stays a multiple when the old divisor is a multiple of the new one.
      if (typeof was !== "number" || was <= 0 || !isWholeMultiple(was, divisor))
        this.report(
          "multiple-of-narrowed",
          child(at, "multipleOf"),
          typeof was === "number"
            ? `multipleOf of ${where(at)} changed from ${was} to ${divisor}; not every multiple of ${was} is one of ${divisor}`
            : `multipleOf ${divisor} added to ${where(at)}`,
        );
    }
    if (own(after, "uniqueItems") === true && own(before, "uniqueItems") !== true)
      this.report(
        "unique-items-added",
        child(at, "uniqueItems"),
        `${where(at)} may no longer hold the same item twice (uniqueItems)`,
      );
  }

  private compareObjects(before: Schema, after: Schema, at: string, shape: boolean): void {
    const propsBefore = schemaMap(own(before, "properties"));
    const propsAfter = schemaMap(own(after, "properties"));
    for (const name of Object.keys(propsBefore)) {
      const place = child(at, "properties", name);
      if (Object.hasOwn(propsAfter, name)) {
        this.compare(propsBefore[name], propsAfter[name], place, shape);
      } else {
        // Consumers lose the property; its values now fall to the new patterns or additionalProperties.
        if (shape)
          this.report("property-removed", place, `property '${name}' of ${where(at)} was removed`);
        for (const [governing, keyword] of schemasOfName(after, name))
          this.compare(propsBefore[name], governing, child(at, ...keyword), shape);
      }
    }
    // A property the old schema did not list was checked by its patterns or additionalProperties.
    for (const name of Object.keys(propsAfter)) {
      if (Object.hasOwn(propsBefore, name)) continue;
      for (const [governing] of schemasOfName(before, name))
        this.compare(governing, propsAfter[name], child(at, "properties", name), shape);
    }
    const wasRequired = new Set(stringList(own(before, "required")));
    for (const name of stringList(own(after, "required"))) {
      if (wasRequired.has(name)) continue;
      this.report(
        "property-required",
        child(at, "required"),
        `property '${name}' of ${where(at)} is now required`,
      );
    }
    this.compareDependencies(before, after, at, wasRequired);
    const patternsBefore = schemaMap(own(before, "patternProperties"));
    const patternsAfter = schemaMap(own(after, "patternProperties"));
    for (const [pattern, schema] of Object.entries(patternsAfter)) {
      const place = child(at, "patternProperties", pattern);
      if (Object.hasOwn(patternsBefore, pattern)) {
        this.compare(patternsBefore[pattern], schema, place, shape);
        continue;
      }
      // A new pattern also applies to names the old schema listed or matched otherwise.
      for (const [name, old] of Object.entries(propsBefore))
        if (testPattern(pattern, name) !== false) this.compare(old, schema, place, shape);
      for (const old of Object.values(patternsBefore)) this.compare(old, schema, place, shape);
      const additional = own(before, "additionalProperties");
      if (additional !== false) this.compare(additional ?? ANY, schema, place, shape);
    }
    for (const keyword of ["additionalProperties", "unevaluatedProperties"]) {
      const now = own(after, keyword);
      const was = own(before, keyword);
      if (now === false && was !== false) {
        this.report(
          "additional-properties-closed",
          child(at, keyword),
          `${where(at)} no longer accepts properties it does not list (${keyword}: false)`,
        );
      } else if (isSchema(now) && was !== false) {
        this.compare(was ?? ANY, now, child(at, keyword), shape);
      }
    }
    const closed = own(after, "additionalProperties");
    if (closed !== undefined && closed !== true)
      for (const pattern of Object.keys(patternsBefore))
        if (!Object.hasOwn(patternsAfter, pattern))
          this.report(
            "pattern-property-removed",
            child(at, "patternProperties"),
            `properties of ${where(at)} matching ${pattern} are now checked by additionalProperties`,
          );
    if (Object.hasOwn(after, "propertyNames"))
      this.compare(
        this.previous.namesSchema(own(before, "propertyNames")),
        after.propertyNames,
        child(at, "propertyNames"),
        false,
      );
  }

  private compareDependencies(
    before: Schema,
    after: Schema,
    at: string,
    alwaysRequired: Set<string>,
  ): void {
    const dependentBefore = dependentLists(before);
    for (const [keyword, trigger, names] of dependentLists(after)) {
      const had = new Set(
        dependentBefore.filter(([, t]) => t === trigger).flatMap(([, , list]) => list),
      );
      for (const name of names) {
        if (had.has(name) || alwaysRequired.has(name)) continue;
        this.report(
          "dependency-required",
          child(at, keyword, trigger),
          `property '${name}' of ${where(at)} is now required when '${trigger}' is present`,
        );
      }
    }
    // The schema form of draft-07 `dependencies` (dependentSchemas is compared as a whole too).
    const schemasBefore = schemaMap(own(before, "dependencies"));
    for (const [trigger, schema] of Object.entries(schemaMap(own(after, "dependencies")))) {
      if (Array.isArray(schema) || schema === true) continue;
      if (sameJson(own(schemasBefore, trigger), schema)) continue;
      this.report(
        "conditional-changed",
        child(at, "dependencies", trigger),
        `what ${where(at)} must hold when '${trigger}' is present changed (compared as a whole)`,
      );
    }
  }

  private compareArrays(before: Schema, after: Schema, at: string, shape: boolean): void {
    const tupleBefore = tupleOf(before);
    const tupleAfter = tupleOf(after);
    const restBefore = restOf(before);
    const restAfter = restOf(after);
    const length = Math.max(tupleBefore.schemas.length, tupleAfter.schemas.length);
    for (let index = 0; index < length; index++) {
      const next = tupleAfter.schemas[index] ?? restAfter.schema;
      if (next === undefined) continue;
      const place =
        index < tupleAfter.schemas.length
          ? child(at, tupleAfter.keyword, String(index))
          : child(at, restAfter.keyword);
      this.compare(tupleBefore.schemas[index] ?? restBefore.schema ?? ANY, next, place, shape);
    }
    if (restAfter.schema !== undefined)
      this.compare(restBefore.schema ?? ANY, restAfter.schema, child(at, restAfter.keyword), shape);
  }

  private compareConditionals(before: Schema, after: Schema, at: string): void {
    if (!Object.hasOwn(after, "if")) return;
    const constrains = (s: unknown) => s !== undefined && s !== true && !sameJson(s, {});
    const thenAfter = own(after, "then");
    const elseAfter = own(after, "else");
    if (!constrains(thenAfter) && !constrains(elseAfter)) return;
    if (!Object.hasOwn(before, "if") || !sameJson(before.if, after.if)) {
      this.report(
        "conditional-changed",
        child(at, "if"),
        `the condition (if/then/else) of ${where(at)} is new or changed (conditions are compared as a whole)`,
      );
      return;
    }
    // The same condition: each branch may only widen.
    if (constrains(thenAfter))
      this.compare(own(before, "then") ?? ANY, thenAfter, child(at, "then"), false);
    if (constrains(elseAfter))
      this.compare(own(before, "else") ?? ANY, elseAfter, child(at, "else"), false);
  }

  private compareReferences(before: Schema, after: Schema, at: string): void {
    // Same-document references were followed in resolve(); what is left is compared by name.
    if (Object.hasOwn(after, "$ref") && !sameJson(own(before, "$ref"), after.$ref))
      this.report(
        "ref-changed",
        child(at, "$ref"),
        `${where(at)} now refers to ${JSON.stringify(after.$ref)} (only references inside the schema are followed)`,
      );
    for (const keyword of ["allOf", "anyOf", "oneOf", "not"])
      if (Object.hasOwn(after, keyword) && !sameJson(own(before, keyword), after[keyword]))
        this.report(
          "combinator-changed",
          child(at, keyword),
          `${keyword} of ${where(at)} changed (combinators are compared as a whole)`,
        );
  }

  private compareOthers(before: Schema, after: Schema, at: string): void {
    for (const [keyword, value] of Object.entries(after)) {
      if (COMPARED.has(keyword) || IGNORED.has(keyword)) continue;
      if (sameJson(own(before, keyword), value)) continue;
      this.report(
        "keyword-changed",
        child(at, keyword),
        `${keyword} of ${where(at)} ${Object.hasOwn(before, keyword) ? "changed" : "added"} (compared as a whole)`,
      );
    }
  }
}

/**
 * The schemas a property `name` that `schema` does not list must match (its patterns, else
 * additionalProperties), each with the keyword path it stands at.
 */
function schemasOfName(schema: Schema, name: string): [unknown, string[]][] {
  const matched = Object.entries(schemaMap(own(schema, "patternProperties")))
    .filter(([pattern]) => testPattern(pattern, name) !== false)
    .map(([pattern, s]): [unknown, string[]] => [s, ["patternProperties", pattern]]);
  if (matched.length > 0) return matched;
  return [[own(schema, "additionalProperties") ?? ANY, ["additionalProperties"]]];
}

function typesOf(schema: Schema): Set<string> | undefined {
  const type = own(schema, "type");
  if (typeof type === "string") return new Set([type]);
  if (Array.isArray(type)) return new Set(type.filter((t): t is string => typeof t === "string"));
  return undefined;
}

/** Types the old schema accepted that the new one does not ("integer" fits inside "number"). */
function lostTypes(previous: Set<string> | undefined, next: Set<string> | undefined): string[] {
  if (next === undefined) return [];
  const accepted = previous ?? new Set(ALL_TYPES);
  return [...accepted].filter((t) => !next.has(t) && !(t === "integer" && next.has("number")));
}

/** The JSON types of a list of values ("integer" for whole numbers); undefined for no list. */
function typesOfValues(values: unknown[] | undefined): Set<string> | undefined {
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
function allowedValues(schema: Schema): unknown[] | undefined {
  const values = own(schema, "enum");
  if (Object.hasOwn(schema, "const")) {
    const only = schema.const;
    return Array.isArray(values) && !values.some((v) => sameJson(v, only)) ? [] : [only];
  }
  return Array.isArray(values) ? values : undefined;
}

interface Bound {
  value: number;
  exclusive: boolean;
  keyword: string;
}

/** The tighter of `maximum`/`exclusiveMaximum` (or of the minimums): what the schema enforces. */
function numericBound(schema: Schema, side: "maximum" | "minimum"): Bound | undefined {
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
function boundNarrowed(was: Bound | undefined, now: Bound, side: "maximum" | "minimum"): boolean {
  if (was === undefined) return true;
  if (now.value !== was.value)
    return side === "maximum" ? now.value < was.value : now.value > was.value;
  return now.exclusive && !was.exclusive;
}

function isWholeMultiple(value: number, divisor: number): boolean {
  const ratio = value / divisor;
  return Number.isFinite(ratio) && ratio >= 1 && Math.abs(ratio - Math.round(ratio)) < 1e-9 * ratio;
}

function schemaMap(value: unknown): Record<string, unknown> {
  return isSchema(value) ? value : {};
}

/** `dependentRequired` and the list form of draft-07 `dependencies`: [keyword, trigger, names]. */
function dependentLists(schema: Schema): [string, string, string[]][] {
  const lists: [string, string, string[]][] = [];
  for (const keyword of ["dependentRequired", "dependencies"])
    for (const [trigger, names] of Object.entries(schemaMap(own(schema, keyword))))
      if (Array.isArray(names)) lists.push([keyword, trigger, stringList(names)]);
  return lists;
}

/** Positional item schemas: `prefixItems`, or the list form of draft-07 `items`. */
function tupleOf(schema: Schema): { keyword: string; schemas: unknown[] } {
  const prefix = own(schema, "prefixItems");
  if (Array.isArray(prefix)) return { keyword: "prefixItems", schemas: prefix };
  const items = own(schema, "items");
  if (Array.isArray(items)) return { keyword: "items", schemas: items };
  return { keyword: "prefixItems", schemas: [] };
}

/** The schema of the items after the positional ones (`items`, or draft-07 `additionalItems`). */
function restOf(schema: Schema): { keyword: string; schema: unknown } {
  const items = own(schema, "items");
  if (Array.isArray(items))
    return { keyword: "additionalItems", schema: own(schema, "additionalItems") };
  return { keyword: "items", schema: items };
}

/**
 * The changes from `previous` to `next` that can reject a payload `previous` accepted, or
 * remove a property of the payload. Same-document `$ref`s (`#/$defs/...`, `#/definitions/...`,
 * `#`) are followed on both sides, cycles included; anything else is compared as a whole.
 * Never throws, whatever JSON it is given.
 */
export function findSchemaBreakingChanges(previous: unknown, next: unknown): SchemaChange[] {
  const comparison = new Comparison(new SchemaDocument(previous), new SchemaDocument(next));
  comparison.compare(previous, next, "", true);
  return comparison.changes;
}
