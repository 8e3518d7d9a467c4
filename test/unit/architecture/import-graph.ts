/**
 * The production code's import graph, read from the sources: every relative import and
 * export-from of a module (static, type-only and dynamic `import()` alike — a type-only cycle
 * still ties two files together), as TypeScript's own pre-processor finds them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";

/** The folders that hold production code (tests, benches and fixtures are not). */
export const PRODUCTION_FOLDERS = [
  "cli",
  "emulator",
  "examples",
  "functions",
  "infra",
  "shared",
  "tools",
] as const;

const SOURCE = /\.(ts|js|mjs|cjs)$/;

export interface SourceFile {
  /** Repository-relative, with forward slashes. */
  path: string;
  text: string;
  /** Relative imports resolved to repository-relative paths. */
  imports: string[];
  /** Package imports (`@aws-sdk/client-s3`, `node:fs`...). */
  packages: string[];
}

function filesUnder(root: string, folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules") continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (SOURCE.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(path);
    }
  };
  walk(join(root, folder));
  return out;
}

const posix = (path: string): string => path.split(sep).join("/");

/** Every production source file with what it imports. */
export function readProductionSources(root: string): SourceFile[] {
  return PRODUCTION_FOLDERS.flatMap((folder) => filesUnder(root, folder)).map((file) => {
    const text = readFileSync(file, "utf8");
    const specifiers = ts.preProcessFile(text, true, true).importedFiles.map((i) => i.fileName);
    const path = posix(relative(root, file));
    return {
      path,
      text,
      imports: specifiers
        .filter((s) => s.startsWith("./") || s.startsWith("../"))
        .map((s) => posix(relative(root, resolve(dirname(file), s)))),
      packages: specifiers.filter((s) => !s.startsWith(".") && !s.startsWith("/")),
    };
  });
}

/**
 * Every import cycle, one per strongly connected component (Tarjan), each as a path through
 * the files that closes on its first: `a.ts → b.ts → a.ts`.
 */
export function importCycles(files: readonly SourceFile[]): string[][] {
  const graph = new Map(files.map((f) => [f.path, f.imports]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return components.map((component) => cyclePath(graph, new Set(component)));
}

/** One cycle through a component, found breadth-first from its first file (sorted). */
function cyclePath(graph: Map<string, string[]>, component: Set<string>): string[] {
  const start = [...component].sort()[0] as string;
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift() as string;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let at = v; at !== start; at = from.get(at) as string) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}
