import { type Diagnostic, hasErrors } from "../diagnostics.ts";
import { type ParsedYaml, readYamlFile } from "../yaml/parse.ts";
import { type PathLocator, START_OF_FILE } from "../yaml/position.ts";
import { checkWithSchema } from "../yaml/schema-diagnostics.ts";
import { NAME_PATTERN, Topology } from "./schema.ts";

/** Where a topology came from, so rules can point at lines; absent for topologies built in code. */
export interface TopologySource {
  file: string;
  locate: PathLocator;
}

export interface TopologyLoadResult {
  topology?: Topology;
  source: TopologySource;
  diagnostics: Diagnostic[];
}

const TOPOLOGY_PATTERN_RULES: Record<string, string> = {
  [NAME_PATTERN.source]: "use lower-case letters a-z, digits 0-9 and '-', starting with a letter",
};

/** Reads and checks topology.yaml; never throws for bad input, every problem is a diagnostic. */
export async function loadTopology(file: string): Promise<TopologyLoadResult> {
  return checkTopologyDocument(await readYamlFile(file));
}

/** Checks a parsed topology document (loadTopology without the file read). */
export function checkTopologyDocument(parsed: ParsedYaml): TopologyLoadResult {
  const file = parsed.file;
  const source = { file, locate: parsed.locate };
  if (hasErrors(parsed.diagnostics)) {
    return { source, diagnostics: parsed.diagnostics };
  }
  if (parsed.value === undefined || parsed.value === null) {
    const empty: Diagnostic = {
      severity: "error",
      code: "topology/empty-document",
      file,
      ...START_OF_FILE,
      path: [],
      message: "the topology document is empty",
      hint: "declare at least environments: and routers: (see examples/topology.yaml)",
    };
    return { source, diagnostics: [...parsed.diagnostics, empty] };
  }
  const checked = checkWithSchema(Topology, parsed.value, parsed, {
    codePrefix: "topology",
    patterns: TOPOLOGY_PATTERN_RULES,
  });
  return {
    ...(checked.data ? { topology: checked.data } : {}),
    source,
    diagnostics: [...parsed.diagnostics, ...checked.diagnostics],
  };
}
