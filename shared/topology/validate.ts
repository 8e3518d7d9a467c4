import type { Diagnostic } from "../diagnostics.ts";
import type { TopologySource } from "./load.ts";
import { checkEdgeRouters } from "./rules/edges.ts";
import { checkEnvironmentReferences, checkEnvironments } from "./rules/environments.ts";
import { checkConnectivity, checkLinks } from "./rules/links.ts";
import { checkDuplicateNames } from "./rules/names.ts";
import { TopologyPlaces } from "./rules/place.ts";
import { checkPorts } from "./rules/ports.ts";
import { checkListenerSecurity, checkSaslDatabase } from "./rules/security.ts";
import { checkTlsProfileReferences } from "./rules/tls.ts";
import type { Topology } from "./schema.ts";

/**
 * Runs every topology rule. Pass the `source` from loadTopology so that diagnostics point at
 * lines; without it they point at line 1 of "topology.yaml".
 */
export function validateTopology(topology: Topology, source?: TopologySource): Diagnostic[] {
  const places = new TopologyPlaces(source);
  return [
    ...checkDuplicateNames(topology, places),
    ...checkEnvironments(topology, places),
    ...checkEnvironmentReferences(topology, places),
    ...checkEdgeRouters(topology, places),
    ...checkLinks(topology, places),
    ...checkConnectivity(topology, places),
    ...checkTlsProfileReferences(topology, places),
    ...checkPorts(topology, places),
    ...checkListenerSecurity(topology, places),
    ...checkSaslDatabase(topology, places),
  ];
}
