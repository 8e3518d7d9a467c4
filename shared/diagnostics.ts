/**
 * A problem found in user input (registry, topology, router config), pointing at the place
 * to fix: file, line and column (1-based), the path inside the document, and a fix hint.
 */
export interface Diagnostic {
  severity: "error" | "warning";
  /** Stable machine-readable code, e.g. "registry/prefix-overlap". */
  code: string;
  file: string;
  line: number;
  column: number;
  /** Path inside the document, e.g. ["channels", 0, "address"]. */
  path: (string | number)[];
  message: string;
  hint: string;
}

/** What a rule says about a place, before the place's file and position are filled in (default severity: error). */
export interface Finding {
  severity?: Diagnostic["severity"];
  code: string;
  message: string;
  hint: string;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Human form: `file:line:column: error: message (at path)\n  hint: ...` */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.path.length > 0 ? ` (at ${formatPath(d.path)})` : "";
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}${where}\n  hint: ${d.hint}`;
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/**
 * Codes of a file that could not be read as one document: they come first, since every other
 * finding may be a knock-on of them (a team whose file did not parse is "unknown" elsewhere).
 */
const UNREADABLE_CODES = /^(yaml\/|registry\/(empty-document|missing-directory)$)/;

function readRank(d: Diagnostic): number {
  return UNREADABLE_CODES.test(d.code) ? 0 : 1;
}

/**
 * Files that could not be read first, then by file and position, so output is stable and
 * reads top to bottom.
 */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      readRank(a) - readRank(b) ||
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      a.code.localeCompare(b.code),
  );
}
