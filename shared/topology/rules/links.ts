import type { Diagnostic } from "../../diagnostics.ts";
import { didYouMean } from "../../yaml/suggest.ts";
import type { Topology } from "../schema.ts";
import type { TopologyPlaces } from "./place.ts";

/** Links join two distinct interior routers, once per pair; the target listens for them. */
export function checkLinks(topology: Topology, places: TopologyPlaces): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const byId = new Map(topology.routers.map((r) => [r.id, r]));
  const ids = [...byId.keys()];
  const pairs = new Map<string, number>();
  const reportedListeners = new Set<string>();
  for (const [index, link] of topology.links.entries()) {
    for (const end of ["from", "to"] as const) {
      const router = byId.get(link[end]);
      if (router === undefined) {
        diagnostics.push(
          places.at(["links", index, end], {
            code: "topology/unknown-link-router",
            message: `link ${end} '${link[end]}' is not a router of the topology${didYouMean(link[end], ids)}`,
            hint: "name an interior router declared under routers:",
          }),
        );
      } else if (router.mode !== "interior") {
        diagnostics.push(
          places.at(["links", index, end], {
            code: "topology/link-not-interior",
            message: `link ${end} '${link[end]}' is an edge router; links join interior routers only`,
            hint: `connect '${link[end]}' through its uplinks instead, or make it an interior router`,
          }),
        );
      }
    }
    if (link.from === link.to) {
      diagnostics.push(
        places.at(["links", index], {
          code: "topology/self-link",
          message: `link from '${link.from}' to itself`,
          hint: "remove this link or point it at another interior router",
        }),
      );
      continue;
    }
    // A link carries traffic both ways, so a→b and b→a are the same pair.
    const pair = [link.from, link.to].sort().join(" ↔ ");
    const first = pairs.get(pair);
    if (first !== undefined) {
      diagnostics.push(
        places.at(["links", index], {
          code: "topology/duplicate-link",
          message: `link between '${link.from}' and '${link.to}' is already declared at ${places.where(["links", first])}`,
          hint: "keep one link per pair of routers (links carry traffic both ways)",
        }),
      );
    } else pairs.set(pair, index);
    const target = byId.get(link.to);
    if (
      target?.mode === "interior" &&
      target.listeners.interRouter === undefined &&
      !reportedListeners.has(link.to)
    ) {
      reportedListeners.add(link.to);
      diagnostics.push(
        places.at(["routers", topology.routers.indexOf(target), "listeners"], {
          code: "topology/missing-inter-router-listener",
          message: `interior router '${link.to}' has no interRouter listener, but the link from '${link.from}' (${places.where(["links", index])}) connects to it`,
          hint: `add listeners.interRouter: { port: <port> } to '${link.to}'`,
        }),
      );
    }
  }
  return diagnostics;
}

/** Every interior router must reach every other one through links, or addresses split. */
export function checkConnectivity(topology: Topology, places: TopologyPlaces): Diagnostic[] {
  const interiors = topology.routers.filter((r) => r.mode === "interior").map((r) => r.id);
  if (interiors.length < 2) return [];
  const neighbours = new Map(interiors.map((id) => [id, new Set<string>()]));
  for (const link of topology.links) {
    neighbours.get(link.from)?.add(link.to);
    neighbours.get(link.to)?.add(link.from);
  }
  const components: string[][] = [];
  const visited = new Set<string>();
  for (const start of interiors) {
    if (visited.has(start)) continue;
    const component: string[] = [];
    const queue = [start];
    visited.add(start);
    while (queue.length > 0) {
      const id = queue.shift()!;
      component.push(id);
      for (const next of neighbours.get(id) ?? []) {
        if (neighbours.has(next) && !visited.has(next)) {
          visited.add(next);
          queue.push(next);
        }
      }
    }
    components.push(component);
  }
  const [main, ...islands] = components;
  if (main === undefined) return [];
  return islands.map((island) => {
    const quoted = island.map((id) => `'${id}'`).join(", ");
    const index = topology.routers.findIndex((r) => r.id === island[0]);
    return places.at(["routers", index, "id"], {
      code: "topology/disconnected",
      message: `interior router${island.length > 1 ? "s" : ""} ${quoted} cannot be reached from '${main[0]}': no chain of links connects them`,
      hint: `add a link between ${quoted.split(", ")[0]} and one of ${main.map((id) => `'${id}'`).join(", ")}`,
    });
  });
}
