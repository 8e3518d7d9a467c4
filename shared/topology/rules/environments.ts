import type { Diagnostic } from "../../diagnostics.ts";
import { didYouMean } from "../../yaml/suggest.ts";
import { MAX_INTERIOR_ROUTERS, type Topology } from "../schema.ts";
import type { TopologyPlaces } from "./place.ts";

/** Each environment needs interior routers (two for HA); the router caps the interior count. */
export function checkEnvironments(topology: Topology, places: TopologyPlaces): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  if (topology.environments.length === 0) {
    diagnostics.push(
      places.at(["environments"], {
        code: "topology/no-environments",
        message: "the topology declares no environments",
        hint: "declare at least one environment (name, cloud, region) under environments:",
      }),
    );
  }
  for (const [index, environment] of topology.environments.entries()) {
    const interiors = topology.routers.filter(
      (r) => r.mode === "interior" && r.environment === environment.name,
    );
    if (interiors.length === 0) {
      diagnostics.push(
        places.at(["environments", index, "name"], {
          code: "topology/no-interior",
          message: `environment '${environment.name}' has no interior router`,
          hint: `add two interior routers with environment: ${environment.name} (two for high availability)`,
        }),
      );
    } else if (interiors.length === 1) {
      diagnostics.push(
        places.at(["environments", index, "name"], {
          severity: "warning",
          code: "topology/single-interior",
          message: `environment '${environment.name}' has one interior router ('${interiors[0]!.id}'): no HA`,
          hint: "add a second interior router in this environment so that it survives one router's loss",
        }),
      );
    }
  }
  const interiorCount = topology.routers.filter((r) => r.mode === "interior").length;
  if (interiorCount > MAX_INTERIOR_ROUTERS) {
    diagnostics.push(
      places.at(["routers"], {
        code: "topology/too-many-interiors",
        message: `the topology has ${interiorCount} interior routers; the router supports at most ${MAX_INTERIOR_ROUTERS}`,
        hint: "turn some interior routers into edge routers (edges do not count against the limit)",
      }),
    );
  }
  return diagnostics;
}

/** Routers and brokers live in a declared environment. */
export function checkEnvironmentReferences(
  topology: Topology,
  places: TopologyPlaces,
): Diagnostic[] {
  const known = topology.environments.map((e) => e.name);
  const users = [
    ...topology.routers.map((r, i) => ({
      key: "routers",
      index: i,
      what: `router '${r.id}'`,
      env: r.environment,
    })),
    ...topology.brokers.map((b, i) => ({
      key: "brokers",
      index: i,
      what: `broker '${b.name}'`,
      env: b.environment,
    })),
  ];
  return users
    .filter((user) => !known.includes(user.env))
    .map((user) => {
      return places.at([user.key, user.index, "environment"], {
        code: "topology/unknown-environment",
        message: `${user.what} is in environment '${user.env}', which is not declared${didYouMean(user.env, known)}`,
        hint: `use one of: ${known.join(", ") || "(none declared)"}, or declare '${user.env}' under environments:`,
      });
    });
}
