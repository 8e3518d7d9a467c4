import type { Diagnostic } from "../../../shared/diagnostics.ts";
import { loadTopology, validateTopology } from "../../../shared/topology/index.ts";

export const TOPOLOGY_FIXTURES = "test/fixtures/topology";

export type Seen = Pick<Diagnostic, "severity" | "code" | "file" | "line" | "column" | "message">;

/** Diagnostics of one code, reduced to the fields a test asserts exactly. */
export function withCode(diagnostics: readonly Diagnostic[], code: string): Seen[] {
  return diagnostics
    .filter((d) => d.code === code)
    .map(({ severity, code: c, file, line, column, message }) => ({
      severity,
      code: c,
      file,
      line,
      column,
      message,
    }));
}

export function fixture(name: string): string {
  return `${TOPOLOGY_FIXTURES}/${name}`;
}

/** Loads a topology fixture and runs every rule on it. */
export async function checkTopologyFixture(name: string): Promise<Diagnostic[]> {
  const { topology, source, diagnostics } = await loadTopology(fixture(name));
  return [...diagnostics, ...(topology ? validateTopology(topology, source) : [])];
}
