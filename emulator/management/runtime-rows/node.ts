/** `router.node` rows: the interior routers this one knows. */
import type { Attributes } from "../../entities/schema.ts";
import { type RuntimeView, seconds } from "./view.ts";

/** Interior routers this one knows: itself first (an edge router knows none, as qdrouterd's). */
export function nodeRows(view: RuntimeView): Attributes[] {
  if (view.mode !== "interior") return [];
  const graph = view.routing.graph;
  const distances = graph.distancesFrom(view.id);
  const interiors = [...distances.keys()].filter((id) => graph.nodes.get(id)?.mode === "interior");
  const ordered = [view.id, ...interiors.filter((id) => id !== view.id)];
  const neighboursOf = (id: string): string[] =>
    interiors.filter((other) => other !== id && graph.edge(id, other)?.up === true);
  const mine = neighboursOf(view.id);
  const type = view.agent.qualified("router.node");
  const started = seconds(view.startedAt);
  return ordered.map((id, index) => {
    const self = id === view.id;
    const cost = distances.get(id) ?? null;
    // The next hop towards a router that is no neighbour: the neighbour on a cheapest path.
    const via = mine.find(
      (n) =>
        (graph.edge(view.id, n)?.cost ?? 0) + (graph.distancesFrom(n).get(id) ?? Number.NaN) ===
        cost,
    );
    return {
      id,
      protocolVersion: 1,
      instance: started,
      linkState: neighboursOf(id),
      nextHop: self ? "(self)" : mine.includes(id) ? null : (via ?? null),
      validOrigins: [],
      address: `amqp:/_topo/0/${id}`,
      routerLink: self || !mine.includes(id) ? null : mine.indexOf(id),
      cost: self ? null : cost,
      lastTopoChange: self ? started : null,
      index,
      name: `router.node/${id}`,
      identity: `router.node/${id}`,
      type,
    };
  });
}
