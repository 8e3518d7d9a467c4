import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";

export type SchemaFileResult =
  | { ok: true; schema: Record<string, unknown> }
  | {
      ok: false;
      code: "registry/schema-file-missing" | "registry/schema-file-not-json";
      message: string;
      hint: string;
    };

/** How a loader gets a channel's schemaFile (from disk, or from a snapshot in memory). */
export type SchemaFileReader = (
  documentFile: string,
  schemaFile: string,
) => Promise<SchemaFileResult>;

/** Reads a channel's schemaFile, which is relative to the registry document that names it. */
export async function readPayloadSchemaFile(
  documentFile: string,
  schemaFile: string,
): Promise<SchemaFileResult> {
  const file = join(dirname(documentFile), schemaFile);
  let text: string | undefined;
  try {
    text = await readFile(file, "utf8");
  } catch {
    text = undefined;
  }
  return payloadSchemaFromText(schemaFile, file, text);
}

/**
 * A schemaFile's content as a payload schema: `text` is undefined when there is no such
 * file; `lookedFor` names where it was looked for.
 */
export function payloadSchemaFromText(
  schemaFile: string,
  lookedFor: string,
  text: string | undefined,
): SchemaFileResult {
  if (text === undefined)
    return {
      ok: false,
      code: "registry/schema-file-missing",
      message: `schemaFile '${schemaFile}' does not exist (looked for ${lookedFor})`,
      hint: "fix the path: it is relative to the folder of this registry document",
    };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      code: "registry/schema-file-not-json",
      message: `schemaFile '${schemaFile}' is not JSON: ${reason}`,
      hint: "the file must hold one JSON Schema (draft 2020-12) as a JSON object",
    };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return {
      ok: false,
      code: "registry/schema-file-not-json",
      message: `schemaFile '${schemaFile}' holds JSON but not an object`,
      hint: "the file must hold one JSON Schema (draft 2020-12) as a JSON object",
    };
  }
  return { ok: true, schema: parsed as Record<string, unknown> };
}
