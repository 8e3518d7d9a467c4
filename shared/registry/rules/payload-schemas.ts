import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import stableStringify from "fast-json-stable-stringify";
import type { Diagnostic } from "../../diagnostics.ts";
import type { ChannelRegistry, RegisteredChannel } from "../model.ts";
import type { RegistryPlaces } from "./place.ts";

let sharedAjv: Ajv2020 | undefined;
/** Schemas compiled by the shared instance (Ajv keeps each one it compiled). */
let compiledBySharedAjv = 0;
/** After this many, a new instance replaces it: a long-lived process does not grow without end. */
const COMPILES_PER_AJV = 2_000;

/**
 * How payload schemas are compiled, here and by the ingress: strict about keywords (a typo
 * like `requried` is an error), silent about unknown formats, every error reported;
 * addUsedSchema: false keeps schemas that declare the same $id from clashing.
 */
export const PAYLOAD_SCHEMA_AJV_OPTIONS = {
  strict: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  validateFormats: false,
  allErrors: true,
  addUsedSchema: false,
  logger: false,
} as const;

/** One instance is reused (building one costs ~100 ms). */
function ajv(): Ajv2020 {
  if (compiledBySharedAjv >= COMPILES_PER_AJV) {
    sharedAjv = undefined;
    compiledBySharedAjv = 0;
  }
  sharedAjv ??= new Ajv2020(PAYLOAD_SCHEMA_AJV_OPTIONS);
  return sharedAjv;
}

/**
 * Problems by schema text (stable key order), least recently used first: a registry is
 * validated again and again with mostly the same schemas (config-sync's warm runs, each
 * ~1 ms of Ajv per schema), and the answer depends on the schema's JSON alone.
 */
const problemsBySchema = new Map<string, SchemaProblem[]>();
let problemsKeyChars = 0;
export const SCHEMA_PROBLEMS_KEPT = { schemas: 5_000, chars: 8 * 1024 * 1024 };

function schemaKey(schema: Record<string, unknown>): string | undefined {
  try {
    return stableStringify(schema);
  } catch {
    return undefined; // a cyclic value (YAML aliases): not kept, compiled each time
  }
}

interface SchemaProblem {
  /** JSON pointer inside the payload schema, "" for the root. */
  pointer: string;
  message: string;
}

function describeAjvError(error: ErrorObject): string {
  const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues;
  return allowed ? `${error.message}: ${allowed.join(", ")}` : (error.message ?? "is invalid");
}

/** Compiles a payload schema the way the ingress will; the problems found, none when valid. */
export function payloadSchemaProblems(schema: Record<string, unknown>): SchemaProblem[] {
  const key = schemaKey(schema);
  if (key === undefined) return compiledProblems(schema);
  const known = problemsBySchema.get(key);
  if (known !== undefined) {
    problemsBySchema.delete(key);
    problemsBySchema.set(key, known);
    return known.map((p) => ({ ...p }));
  }
  const problems = compiledProblems(schema);
  problemsBySchema.set(key, problems);
  problemsKeyChars += key.length;
  for (const [oldest] of problemsBySchema) {
    if (
      problemsBySchema.size <= SCHEMA_PROBLEMS_KEPT.schemas &&
      problemsKeyChars <= SCHEMA_PROBLEMS_KEPT.chars
    )
      break;
    problemsBySchema.delete(oldest);
    problemsKeyChars -= oldest.length;
  }
  return problems.map((p) => ({ ...p }));
}

function compiledProblems(schema: Record<string, unknown>): SchemaProblem[] {
  const compiler = ajv();
  try {
    if (!compiler.validateSchema(schema)) {
      // The first error per place is the most specific one; the rest are anyOf echoes.
      const seen = new Set<string>();
      return (compiler.errors ?? []).flatMap((error) => {
        if (seen.has(error.instancePath)) return [];
        seen.add(error.instancePath);
        return [{ pointer: error.instancePath, message: describeAjvError(error) }];
      });
    }
    compiledBySharedAjv++;
    compiler.compile(schema);
    return [];
  } catch (error) {
    return [{ pointer: "", message: error instanceof Error ? error.message : String(error) }];
  }
}

function pointerSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function schemaProblemsOf(channel: RegisteredChannel, places: RegistryPlaces): Diagnostic[] {
  const schema = channel.schema ?? channel.payloadSchema;
  if (schema === undefined) return [];
  return payloadSchemaProblems(schema).map((problem) => {
    const inline = channel.schema !== undefined;
    // Inline schemas are part of the YAML document, so the error points into them.
    const subPath = inline ? ["schema", ...pointerSegments(problem.pointer)] : ["schemaFile"];
    const where = problem.pointer === "" ? "" : ` at ${problem.pointer}`;
    const origin = inline ? "payload schema" : `payload schema ${channel.schemaFile}`;
    return places.atChannel(channel, subPath, {
      code: "registry/invalid-payload-schema",
      message: `${origin} of channel '${channel.address}' is not valid JSON Schema (draft 2020-12)${where}: ${problem.message}`,
      hint: "fix the schema; it is compiled with Ajv (draft 2020-12, strict keywords, $ref only to local $defs)",
    });
  });
}

/** Payload schemas are given once (inline or file) and compile as JSON Schema 2020-12. */
export function checkPayloadSchemas(
  registry: ChannelRegistry,
  places: RegistryPlaces,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const channel of registry.channels) {
    if (channel.schema !== undefined && channel.schemaFile !== undefined) {
      diagnostics.push(
        places.atChannel(channel, ["schemaFile"], {
          code: "registry/schema-conflict",
          message: `channel '${channel.address}' has both 'schema' and 'schemaFile'`,
          hint: "keep one of them: the inline schema or the file",
        }),
      );
    }
    diagnostics.push(...schemaProblemsOf(channel, places));
  }
  return diagnostics;
}
