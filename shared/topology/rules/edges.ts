import type { Diagnostic } from "../../diagnostics.ts";
import { didYouMean } from "../../yaml/suggest.ts";
import type { Topology } from "../schema.ts";
import type { TopologyPlaces } from "./place.ts";

/**
 * Edge routers connect up to interior routers and accept only clients; interior routers that
 * edges connect to need an edge listener.
 */
export function checkEdgeRouters(topology: Topology, places: TopologyPlaces): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const byId = new Map(topology.routers.map((r) => [r.id, r]));
  const ids = [...byId.keys()];
  // Several edges may uplink to the same listener-less interior: report it once.
  const reportedListeners = new Set<string>();
  for (const [index, router] of topology.routers.entries()) {
    if (router.mode === "interior") {
      if (router.uplinks.length > 0) {
        diagnostics.push(
          places.at(["routers", index, "uplinks"], {
            code: "topology/interior-uplinks",
            message: `interior router '${router.id}' has uplinks; only edge routers connect through uplinks`,
            hint: "remove uplinks: and connect interior routers with entries under links:",
          }),
        );
      }
      continue;
    }
    for (const kind of ["interRouter", "edge"] as const) {
      if (router.listeners[kind] === undefined) continue;
      diagnostics.push(
        places.at(["routers", index, "listeners", kind], {
          code: "topology/edge-router-listener",
          message: `edge router '${router.id}' has a${kind === "edge" ? "n edge" : "n interRouter"} listener; edge routers accept clients only`,
          hint: `remove listeners.${kind}, or make '${router.id}' an interior router`,
        }),
      );
    }
    if (router.uplinks.length === 0) {
      diagnostics.push(
        places.at(["routers", index, "id"], {
          code: "topology/edge-without-uplink",
          message: `edge router '${router.id}' has no uplinks, so it cannot reach the mesh`,
          hint: "list the interior routers it connects to under uplinks: (two, for HA)",
        }),
      );
    }
    for (const [uplinkIndex, uplink] of router.uplinks.entries()) {
      const target = byId.get(uplink);
      const path = ["routers", index, "uplinks", uplinkIndex];
      if (target === undefined) {
        diagnostics.push(
          places.at(path, {
            code: "topology/unknown-uplink",
            message: `uplink '${uplink}' of edge router '${router.id}' is not a router of the topology${didYouMean(uplink, ids)}`,
            hint: "name an interior router declared under routers:",
          }),
        );
      } else if (target.mode !== "interior") {
        diagnostics.push(
          places.at(path, {
            code: "topology/uplink-not-interior",
            message: `uplink '${uplink}' of edge router '${router.id}' is an edge router; edges connect to interior routers only`,
            hint: "name an interior router here",
          }),
        );
      } else {
        if (target.environment !== router.environment) {
          diagnostics.push(
            places.at(path, {
              severity: "warning",
              code: "topology/uplink-other-environment",
              message: `edge router '${router.id}' (environment '${router.environment}') uplinks to '${uplink}' in environment '${target.environment}'`,
              hint: "prefer interior routers of the edge's own environment; cross-cloud uplinks add latency and cost",
            }),
          );
        }
        if (target.listeners.edge === undefined && !reportedListeners.has(uplink)) {
          reportedListeners.add(uplink);
          const targetIndex = topology.routers.indexOf(target);
          diagnostics.push(
            places.at(["routers", targetIndex, "listeners"], {
              code: "topology/missing-edge-listener",
              message: `interior router '${uplink}' has no edge listener, but edge router '${router.id}' uplinks to it (${places.where(path)})`,
              hint: `add listeners.edge: { port: <port> } to '${uplink}'`,
            }),
          );
        }
      }
    }
  }
  return diagnostics;
}
