import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import type { Diagnostic } from "../../diagnostics.ts";
import type { ChannelRegistry, RegisteredChannel } from "../model.ts";
import type { RegistryPlaces } from "./place.ts";

let sharedAjv: Ajv2020 | undefined;

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
  sharedAjv ??= new Ajv2020(PAYLOAD_SCHEMA_AJV_OPTIONS);
  return sharedAjv;
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
