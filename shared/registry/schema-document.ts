/**
 * A JSON Schema as a document: its nodes, JSON pointers into it and same-document `$ref`s
 * followed (what the compatibility check compares, side by side).
 */
export type Schema = Record<string, unknown>;

/** Accepts everything; one frozen object so that the cycle guard sees the same node each time. */
export const ANY: Schema = Object.freeze({});

/** Property names are strings: the old side of a propertyNames comparison knows that much. */
const ANY_NAME: Schema = Object.freeze({ type: "string" });

/** Keywords that constrain nothing (annotations, identifiers, definitions). */
export const IGNORED = new Set([
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

export function isSchema(value: unknown): value is Schema {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function own(schema: Schema, key: string): unknown {
  return Object.hasOwn(schema, key) ? schema[key] : undefined;
}

function escapeSegment(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

export function child(pointer: string, ...segments: string[]): string {
  return pointer + segments.map((s) => `/${escapeSegment(s)}`).join("");
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

/** One side of the comparison: its document (for `$ref`) and the nodes made from it. */
export class SchemaDocument {
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
