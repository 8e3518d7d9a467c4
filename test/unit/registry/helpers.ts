import { existsSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Diagnostic } from "../../../shared/diagnostics.ts";
import { loadRegistry, validateRegistry } from "../../../shared/registry/index.ts";
import { loadTopology } from "../../../shared/topology/index.ts";

export const REGISTRY_FIXTURES = "test/fixtures/registry";

/** The fields a test asserts exactly: what, where and how bad. */
export type Seen = Pick<Diagnostic, "severity" | "code" | "file" | "line" | "column" | "message">;

export function seen(d: Diagnostic): Seen {
  return {
    severity: d.severity,
    code: d.code,
    file: d.file,
    line: d.line,
    column: d.column,
    message: d.message,
  };
}

/** Diagnostics of one code, reduced to the asserted fields. */
export function withCode(diagnostics: readonly Diagnostic[], code: string): Seen[] {
  return diagnostics.filter((d) => d.code === code).map(seen);
}

/** Loads and validates a registry fixture case (with its topology.yaml, when it has one). */
export async function checkRegistryCase(name: string): Promise<Diagnostic[]> {
  const dir = join(REGISTRY_FIXTURES, name);
  const { registry, diagnostics } = await loadRegistry(dir);
  const topologyFile = join(dir, "topology.yaml");
  const topology = existsSync(topologyFile)
    ? (await loadTopology(topologyFile)).topology
    : undefined;
  return [...diagnostics, ...validateRegistry(registry, topology)];
}

export function caseFile(name: string, file: string): string {
  return join(REGISTRY_FIXTURES, name, "registry", file);
}

/**
 * Writes a throw-away project (paths relative to it → contents) and returns its folder. For
 * inputs that cannot be committed as fixtures, e.g. YAML with syntax errors the linter rejects.
 */
export async function writeTempProject(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "amqp-mesh-"));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}
