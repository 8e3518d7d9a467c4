/** The AsyncAPI parser as the tests use it, and the example project loaded by the registry's loader. */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Parser, type Diagnostic as ParserDiagnostic } from "@asyncapi/parser";
import type { ChannelRegistry } from "../../../shared/registry/index.ts";
import { validateProject } from "../../../shared/registry/index.ts";
import type { Topology } from "../../../shared/topology/index.ts";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const EXAMPLES_DIR = join(REPO_ROOT, "examples");

/** One parser for the whole file: it is slow to build (its rule set). */
const parser = new Parser();

/** The parser's diagnostic severities: 0 error, 1 warning, 2 information, 3 hint. */
export const ERROR = 0;

const parsed = new Map<string, ReturnType<typeof parseOnce>>();

/** Parses a document (each text once per test file: the parser takes about a second). */
export function parseAsyncApi(text: string): ReturnType<typeof parseOnce> {
  let result = parsed.get(text);
  if (result === undefined) {
    result = parseOnce(text);
    parsed.set(text, result);
  }
  return result;
}

async function parseOnce(text: string) {
  const { document, diagnostics } = await parser.parse(text);
  const errors = diagnostics.filter((d: ParserDiagnostic) => d.severity === ERROR);
  return { document, diagnostics, errors: errors.map((d) => `${d.path.join("/")}: ${d.message}`) };
}

export async function loadProject(
  dir: string,
): Promise<{ registry: ChannelRegistry; topology: Topology }> {
  const { registry, topology, diagnostics } = await validateProject(dir);
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || registry === undefined || topology === undefined)
    throw new Error(`${dir} is invalid: ${errors.map((d) => d.message).join("; ")}`);
  return { registry, topology };
}

/** A schema as the parser hands it back, without the ids it adds (`x-parser-*`). */
export function withoutParserKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutParserKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.startsWith("x-parser-"))
      .map(([key, inner]) => [key, withoutParserKeys(inner)]),
  );
}
