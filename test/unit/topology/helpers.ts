import type { Diagnostic } from "../../../shared/diagnostics.ts";
import { loadTopology, validateTopology } from "../../../shared/topology/index.ts";

/** The same exact-field view of diagnostics as the registry tests use. */
export { withCode } from "../registry/helpers.ts";

export const TOPOLOGY_FIXTURES = "test/fixtures/topology";

export function fixture(name: string): string {
  return `${TOPOLOGY_FIXTURES}/${name}`;
}

/** Loads a topology fixture and runs every rule on it. */
export async function checkTopologyFixture(name: string): Promise<Diagnostic[]> {
  const { topology, source, diagnostics } = await loadTopology(fixture(name));
  return [...diagnostics, ...(topology ? validateTopology(topology, source) : [])];
}
