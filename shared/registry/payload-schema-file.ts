/** A channel's schemaFile, read from inside the project only (symlinks resolved), as a payload schema. */
import { readFile, realpath } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

export type SchemaFileResult =
  | { ok: true; schema: Record<string, unknown> }
  | {
      ok: false;
      code:
        | "registry/schema-file-missing"
        | "registry/schema-file-not-json"
        | "registry/schema-file-outside";
      message: string;
      hint: string;
    };

/** How a loader gets a channel's schemaFile (from disk, or from a snapshot in memory). */
export type SchemaFileReader = (
  documentFile: string,
  schemaFile: string,
) => Promise<SchemaFileResult>;

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel.split(sep)[0] !== ".." && !isAbsolute(rel);
}

function outside(schemaFile: string, root: string): SchemaFileResult {
  return schemaFileOutside(schemaFile, root, " (after following symbolic links)");
}

/** The refusal of a schemaFile that leaves the project `root` (a folder, or a store's prefix). */
export function schemaFileOutside(schemaFile: string, root: string, how = ""): SchemaFileResult {
  return {
    ok: false,
    code: "registry/schema-file-outside",
    message: `schemaFile '${schemaFile}' lies outside the project ${root}${how}; it was not read`,
    hint: "put the schema file inside the project folder and name it relative to this registry document",
  };
}

/**
 * Reads channels' schemaFiles (relative to the registry document that names them) from
 * inside `projectRoot` only: a path that leaves it, by `..`, an absolute path or a symbolic
 * link, is refused without being read, so nothing of a file outside is ever echoed.
 */
export function projectSchemaFileReader(projectRoot: string): SchemaFileReader {
  const root = resolve(projectRoot);
  let realRoot: Promise<string> | undefined;
  return async (documentFile, schemaFile) => {
    const file = resolve(dirname(documentFile), schemaFile);
    const lookedFor = join(dirname(documentFile), schemaFile);
    if (!isInside(root, file)) return outside(schemaFile, root);
    realRoot ??= realpath(root).catch(() => root);
    let real: string;
    try {
      real = await realpath(file);
    } catch {
      return payloadSchemaFromText(schemaFile, lookedFor, undefined);
    }
    if (!isInside(await realRoot, real)) return outside(schemaFile, root);
    let text: string | undefined;
    try {
      text = await readFile(real, "utf8");
    } catch {
      text = undefined;
    }
    return payloadSchemaFromText(schemaFile, lookedFor, text);
  };
}

/**
 * Reads a channel's schemaFile for a document in `<project>/registry/`: contained to the
 * project (the registry folder's parent).
 */
export async function readPayloadSchemaFile(
  documentFile: string,
  schemaFile: string,
): Promise<SchemaFileResult> {
  return projectSchemaFileReader(dirname(dirname(resolve(documentFile))))(documentFile, schemaFile);
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
