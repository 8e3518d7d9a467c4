/**
 * Payload schema compatibility: which changes from one JSON Schema to its successor can make a
 * payload that the old schema accepted invalid under the new one (or drop a property a
 * consumer relied on). Conservative: what it cannot judge exactly it reports as breaking.
 */
import {
  ANY,
  child,
  IGNORED,
  isSchema,
  own,
  type Schema,
  SchemaDocument,
} from "./schema-document.ts";
import {
  allowedValues,
  type Bound,
  boundNarrowed,
  COMPARED,
  dependentLists,
  isWholeMultiple,
  LOWER_LIMITS,
  lostTypes,
  numericBound,
  restOf,
  sameJson,
  schemaMap,
  schemasOfName,
  stringList,
  testPattern,
  tupleOf,
  typesOf,
  typesOfValues,
  UPPER_LIMITS,
} from "./schema-keywords.ts";

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

function where(pointer: string): string {
  return pointer === "" ? "the payload" : pointer;
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
