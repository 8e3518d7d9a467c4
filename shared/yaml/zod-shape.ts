import type { DocumentPath } from "./position.ts";

/** The parts of a zod 4 schema definition needed to find which keys an object allows. */
interface SchemaDef {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  element?: unknown;
  options?: readonly unknown[];
  in?: unknown;
  valueType?: unknown;
}

function defOf(schema: unknown): SchemaDef | undefined {
  if (schema === null || typeof schema !== "object" || !("_zod" in schema)) return undefined;
  const internals = (schema as { _zod?: { def?: SchemaDef } })._zod;
  return internals?.def;
}

/** Strips wrappers (optional, default, pipe...) and returns the schemas a value may match. */
function alternatives(schema: unknown): unknown[] {
  const def = defOf(schema);
  if (def === undefined) return [];
  if (def.innerType !== undefined) return alternatives(def.innerType);
  if (def.type === "pipe") return alternatives(def.in);
  if (def.type === "union") return (def.options ?? []).flatMap(alternatives);
  return [schema];
}

function childSchemas(schema: unknown, segment: string | number): unknown[] {
  return alternatives(schema).flatMap((alternative) => {
    const def = defOf(alternative);
    if (def?.type === "array" && typeof segment === "number") return [def.element];
    if (def?.type === "record") return [def.valueType];
    if (def?.type === "object" && def.shape && typeof segment === "string") {
      return segment in def.shape ? [def.shape[segment]] : [];
    }
    return [];
  });
}

/** Keys an object at `path` may hold according to the zod schema (union of all alternatives). */
export function allowedKeysAt(schema: unknown, path: DocumentPath): string[] {
  let current: unknown[] = [schema];
  for (const segment of path) current = current.flatMap((s) => childSchemas(s, segment));
  const keys = new Set<string>();
  for (const candidate of current.flatMap(alternatives)) {
    const def = defOf(candidate);
    if (def?.type === "object" && def.shape)
      for (const key of Object.keys(def.shape)) keys.add(key);
  }
  return [...keys];
}
