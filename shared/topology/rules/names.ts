import type { Diagnostic } from "../../diagnostics.ts";
import type { Topology } from "../schema.ts";
import type { TopologyPlaces } from "./place.ts";

interface NamedList {
  key: "environments" | "routers" | "tlsProfiles" | "brokers";
  field: "name" | "id";
  what: string;
  code: string;
  names: string[];
}

/** Names are how everything else refers to environments, routers, profiles and brokers. */
export function checkDuplicateNames(topology: Topology, places: TopologyPlaces): Diagnostic[] {
  const lists: NamedList[] = [
    {
      key: "environments",
      field: "name",
      what: "environment",
      code: "topology/duplicate-environment",
      names: topology.environments.map((e) => e.name),
    },
    {
      key: "routers",
      field: "id",
      what: "router",
      code: "topology/duplicate-router",
      names: topology.routers.map((r) => r.id),
    },
    {
      key: "tlsProfiles",
      field: "name",
      what: "TLS profile",
      code: "topology/duplicate-tls-profile",
      names: topology.tlsProfiles.map((p) => p.name),
    },
    {
      key: "brokers",
      field: "name",
      what: "broker",
      code: "topology/duplicate-broker",
      names: topology.brokers.map((b) => b.name),
    },
  ];
  const diagnostics: Diagnostic[] = [];
  for (const { key, field, what, code, names } of lists) {
    for (const [index, name] of names.entries()) {
      const first = names.indexOf(name);
      if (first === index) continue;
      diagnostics.push(
        places.at([key, index, field], {
          code,
          message: `${what} '${name}' is already declared at ${places.where([key, first, field])}`,
          hint: `give this ${what} another ${field}, or remove one of the two`,
        }),
      );
    }
  }
  return diagnostics;
}
