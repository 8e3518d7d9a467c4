import { readFile } from "node:fs/promises";
import { type Document, isScalar, LineCounter, parseDocument, visit, type YAMLError } from "yaml";
import type { Diagnostic } from "../diagnostics.ts";
import { createLocator, type PathLocator, START_OF_FILE } from "./position.ts";

/** A YAML file parsed to plain data, with a way back from document paths to lines. */
export interface ParsedYaml {
  file: string;
  /** Plain JS data; undefined when the text could not be parsed at all. */
  value: unknown;
  locate: PathLocator;
  diagnostics: Diagnostic[];
}

const HINTS: Record<string, string> = {
  DUPLICATE_KEY: "remove or rename one of the two keys; YAML maps need unique keys",
  BAD_INDENT: "indent nested entries consistently with spaces (no tabs)",
  TAB_AS_INDENT: "indent with spaces; YAML forbids tabs for indentation",
  MULTIPLE_DOCS: "keep one YAML document per file (remove the extra '---')",
};

/** Offset of every repeated map key → a sentence naming it and where it was first written. */
function repeatedKeys(doc: Document, lineCounter: LineCounter): Map<number, string> {
  const repeated = new Map<number, string>();
  visit(doc, {
    Map(_, map) {
      const first = new Map<string, number>();
      for (const pair of map.items) {
        const range = isScalar(pair.key) ? pair.key.range : undefined;
        if (!isScalar(pair.key) || !range) continue;
        const key = String(pair.key.value);
        const earlier = first.get(key);
        if (earlier === undefined) first.set(key, range[0]);
        else {
          const { line, col } = lineCounter.linePos(earlier);
          repeated.set(range[0], `duplicate key '${key}' (first at line ${line}, column ${col})`);
        }
      }
    },
  });
  return repeated;
}

function toDiagnostic(
  file: string,
  error: YAMLError,
  severity: Diagnostic["severity"],
  repeated: Map<number, string>,
): Diagnostic {
  const place = error.linePos?.[0];
  // The yaml library appends a code frame to its messages; the first line is the sentence.
  const sentence =
    repeated.get(error.pos[0]) ??
    error.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") ??
    "";
  return {
    severity,
    code: error.code === "DUPLICATE_KEY" ? "yaml/duplicate-key" : "yaml/syntax",
    file,
    line: place?.line ?? START_OF_FILE.line,
    column: place?.col ?? START_OF_FILE.column,
    path: [],
    message: sentence,
    hint: HINTS[error.code] ?? "fix the YAML syntax at this place",
  };
}

/** Parses YAML text; syntax errors and duplicate keys come back as diagnostics, never thrown. */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  const repeated = doc.errors.some((e) => e.code === "DUPLICATE_KEY")
    ? repeatedKeys(doc, lineCounter)
    : new Map<number, string>();
  const diagnostics = [
    ...doc.errors.map((e) => toDiagnostic(file, e, "error", repeated)),
    ...doc.warnings.map((w) => toDiagnostic(file, w, "warning", repeated)),
  ];
  let value: unknown;
  if (doc.errors.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (error) {
      // toJS throws on alias bombs and unresolvable aliases: report, never crash.
      diagnostics.push({
        severity: "error",
        code: "yaml/syntax",
        file,
        ...START_OF_FILE,
        path: [],
        message: error instanceof Error ? error.message : String(error),
        hint: "simplify anchors and aliases (*name) in this file",
      });
    }
  }
  return { file, value, locate: createLocator(doc.contents, lineCounter), diagnostics };
}

/** Reads and parses a YAML file; an unreadable file is a diagnostic (code `yaml/read`). */
export async function readYamlFile(file: string): Promise<ParsedYaml> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      file,
      value: undefined,
      locate: () => START_OF_FILE,
      diagnostics: [unreadableFile(file, reason)],
    };
  }
  return parseYaml(text, file);
}

/** The error for a file that cannot be read (code `yaml/read`), wherever it was read from. */
export function unreadableFile(file: string, reason: string): Diagnostic {
  return {
    severity: "error",
    code: "yaml/read",
    file,
    ...START_OF_FILE,
    path: [],
    message: `cannot read file: ${reason}`,
    hint: "check that the file exists and is readable",
  };
}
