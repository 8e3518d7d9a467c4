/**
 * An example payload from a channel's JSON Schema, the same every time (no randomness): what
 * the catalog page shows next to the schema. Checked with Ajv (draft 2020-12, as the registry
 * checks payloads); a schema it cannot satisfy gives `valid: false`, never a wrong claim.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { PAYLOAD_SCHEMA_AJV_OPTIONS } from "../registry/index.ts";
import { patternSample } from "./pattern-sample.ts";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Schema = Record<string, unknown>;

export interface ExampleMessage {
  payload: Json;
  /** The payload passes the schema (Ajv). */
  valid: boolean;
}

const MAX_DEPTH = 8;

const FORMATS: Record<string, string> = {
  "date-time": "2026-01-01T12:00:00Z",
  date: "2026-01-01",
  time: "12:00:00Z",
  email: "someone@example.com",
  uri: "https://example.com/",
  "uri-reference": "/example",
  uuid: "00000000-0000-4000-8000-000000000000",
  hostname: "example.com",
  ipv4: "192.0.2.1",
  ipv6: "2001:db8::1",
};

function isSchema(value: unknown): value is Schema {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Follows a same-document `$ref` (a JSON pointer from the root). */
function resolveRef(ref: string, root: Schema): unknown {
  if (!ref.startsWith("#")) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split("/").slice(1)) {
    const token = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    node = isSchema(node) ? node[token] : undefined;
  }
  return node;
}

function numberFor(schema: Schema, integer: boolean): number {
  const min = typeof schema.minimum === "number" ? schema.minimum : undefined;
  const exclusiveMin =
    typeof schema.exclusiveMinimum === "number" ? schema.exclusiveMinimum : undefined;
  const max = typeof schema.maximum === "number" ? schema.maximum : undefined;
  let value =
    min ??
    (exclusiveMin !== undefined ? exclusiveMin + 1 : max !== undefined ? Math.min(0, max) : 0);
  if (integer) value = Math.ceil(value);
  const step =
    typeof schema.multipleOf === "number" && schema.multipleOf > 0 ? schema.multipleOf : undefined;
  if (step !== undefined) value = Math.ceil(value / step) * step;
  return value;
}

function stringFor(schema: Schema): string {
  let text =
    (typeof schema.format === "string" ? FORMATS[schema.format] : undefined) ??
    (typeof schema.pattern === "string" ? patternSample(schema.pattern) : undefined) ??
    "text";
  if (typeof schema.minLength === "number" && text.length < schema.minLength)
    text = text.padEnd(schema.minLength, "x");
  if (typeof schema.maxLength === "number" && text.length > schema.maxLength)
    text = text.slice(0, schema.maxLength);
  return text;
}

function typeOf(schema: Schema): string | undefined {
  if (typeof schema.type === "string") return schema.type;
  if (Array.isArray(schema.type))
    return (schema.type.find((t) => t !== "null") ?? schema.type[0]) as string | undefined;
  if (isSchema(schema.properties) || Array.isArray(schema.required)) return "object";
  if (schema.items !== undefined || schema.prefixItems !== undefined) return "array";
  return undefined;
}

function sample(node: unknown, root: Schema, depth: number): Json {
  if (!isSchema(node) || depth > MAX_DEPTH) return null;
  if (typeof node.$ref === "string") {
    const { $ref, ...beside } = node;
    const target = resolveRef($ref, root);
    return sample(isSchema(target) ? { ...target, ...beside } : beside, root, depth + 1);
  }
  if (Array.isArray(node.examples) && node.examples.length > 0) return node.examples[0] as Json;
  if (node.const !== undefined) return node.const as Json;
  if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[0] as Json;
  if (node.default !== undefined) return node.default as Json;
  if (Array.isArray(node.allOf)) {
    const merged: Schema = Object.assign({}, ...node.allOf.filter(isSchema));
    const { allOf: _allOf, ...rest } = node;
    return sample({ ...merged, ...rest }, root, depth + 1);
  }
  for (const key of ["oneOf", "anyOf"] as const) {
    const options = node[key];
    if (Array.isArray(options) && options.length > 0) {
      const { [key]: _options, ...rest } = node;
      return sample({ ...rest, ...(options[0] as Schema) }, root, depth + 1);
    }
  }
  switch (typeOf(node)) {
    case "object": {
      const properties = isSchema(node.properties) ? node.properties : {};
      const required = Array.isArray(node.required) ? (node.required as string[]) : [];
      const out: Record<string, Json> = {};
      for (const name of [...required, ...Object.keys(properties)])
        if (!(name in out)) out[name] = sample(properties[name] ?? {}, root, depth + 1);
      return out;
    }
    case "array": {
      const prefix = Array.isArray(node.prefixItems) ? node.prefixItems : [];
      const min = typeof node.minItems === "number" ? node.minItems : 1;
      const items = prefix.map((p) => sample(p, root, depth + 1));
      while (items.length < Math.max(min, 1) && node.items !== false)
        items.push(sample(node.items ?? {}, root, depth + 1));
      return items;
    }
    case "string":
      return stringFor(node);
    case "integer":
      return numberFor(node, true);
    case "number":
      return numberFor(node, false);
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return null;
  }
}

let ajv: Ajv2020 | undefined;

function passes(schema: Schema, payload: Json): boolean {
  ajv ??= new Ajv2020({ ...PAYLOAD_SCHEMA_AJV_OPTIONS, allErrors: false });
  try {
    return ajv.validate(schema, payload) === true;
  } catch {
    return false;
  }
}

export function exampleMessage(schema: Schema): ExampleMessage {
  const payload = sample(schema, schema, 0);
  return { payload, valid: passes(schema, payload) };
}
