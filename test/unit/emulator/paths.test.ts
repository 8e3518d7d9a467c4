/**
 * MeshGraph (emulator/paths.ts): lowest-cost paths over running routers and up links;
 * edge routers are leaves behind their first running, reachable uplink and never carry
 * traffic between others (qdrouterd: edges have one active uplink and no transit role).
 */
import { describe, expect, it } from "vitest";
import { EDGE_UPLINK_COST, MeshGraph } from "../../../emulator/routing/paths.ts";

/** Interiors a—b—c (cost 1 each) and a direct a—c of cost 5; every router running. */
function triangle(): MeshGraph {
  const g = new MeshGraph();
  for (const id of ["a", "b", "c"]) g.addNode({ id, mode: "interior", running: true, uplinks: [] });
  g.addEdge("a", "b", 1);
  g.addEdge("b", "c", 1);
  g.addEdge("a", "c", 5);
  return g;
}

function addEdgeRouter(g: MeshGraph, id: string, uplinks: string[]): void {
  g.addNode({ id, mode: "edge", running: true, uplinks });
}

function stop(g: MeshGraph, id: string): void {
  const node = g.nodes.get(id);
  if (!node) throw new Error(`no node ${id}`);
  node.running = false;
  g.invalidate();
}

describe("MeshGraph costs", () => {
  it("takes the lowest-cost path, and the next one when a link is cut, back when restored", () => {
    const g = triangle();
    expect(g.distancesFrom("a").get("c")).toBe(2);
    expect(g.setLinkUp("a", "b", false)).toBe(true);
    expect(g.distancesFrom("a").get("c")).toBe(5);
    expect(g.distancesFrom("a").get("b")).toBe(6);
    g.setLinkUp("b", "a", true); // either order names the link
    expect(g.distancesFrom("a").get("c")).toBe(2);
  });

  it("routes around a stopped router and does not reach it", () => {
    const g = triangle();
    stop(g, "b");
    const from = g.distancesFrom("a");
    expect(from.has("b")).toBe(false);
    expect(from.get("c")).toBe(5);
    expect(g.distancesFrom("b").size).toBe(0); // a stopped router reaches nothing
  });

  it("reaches nothing beyond a partition", () => {
    const g = triangle();
    g.setLinkUp("a", "b", false);
    g.setLinkUp("a", "c", false);
    expect([...g.distancesFrom("a").keys()]).toEqual(["a"]);
    expect(g.distancesFrom("b").get("c")).toBe(1);
  });

  it("refuses to set a link that does not exist", () => {
    const g = triangle();
    g.addNode({ id: "d", mode: "interior", running: true, uplinks: [] });
    expect(g.setLinkUp("a", "d", false)).toBe(false);
    expect(g.distancesFrom("a").has("d")).toBe(false);
  });

  it("sees links added after a path was computed", () => {
    const g = triangle();
    g.addNode({ id: "d", mode: "interior", running: true, uplinks: [] });
    expect(g.distancesFrom("a").has("d")).toBe(false);
    g.addEdge("c", "d", 2);
    expect(g.distancesFrom("a").get("d")).toBe(4);
  });
});

describe("MeshGraph edge routers", () => {
  it("reach the mesh through their first uplink, at the uplink cost", () => {
    const g = triangle();
    addEdgeRouter(g, "e", ["a", "c"]);
    expect(g.activeUplink("e")).toBe("a");
    const from = g.distancesFrom("e");
    expect(from.get("a")).toBe(EDGE_UPLINK_COST);
    expect(from.get("c")).toBe(EDGE_UPLINK_COST + 2);
    // Reached from the mesh only through the active uplink, not the second one.
    expect(g.distancesFrom("c").get("e")).toBe(2 + EDGE_UPLINK_COST);
  });

  it("are leaves: never a transit hop between interiors or other edges", () => {
    const g = new MeshGraph();
    for (const id of ["a", "b"]) g.addNode({ id, mode: "interior", running: true, uplinks: [] });
    addEdgeRouter(g, "e1", ["a", "b"]);
    addEdgeRouter(g, "e2", ["a"]);
    // a and b are not linked: e1 is attached to both in config but must not join them.
    expect(g.distancesFrom("a").has("b")).toBe(false);
    expect(g.distancesFrom("e2").get("e1")).toBe(2 * EDGE_UPLINK_COST);
    expect(g.distancesFrom("e2").has("b")).toBe(false);
  });

  it("fail over to the next uplink when the first stops or its uplink is cut", () => {
    const g = triangle();
    addEdgeRouter(g, "e", ["a", "b"]);
    stop(g, "a");
    expect(g.activeUplink("e")).toBe("b");
    expect(g.distancesFrom("e").get("c")).toBe(EDGE_UPLINK_COST + 1);

    const h = triangle();
    addEdgeRouter(h, "e", ["a", "b"]);
    expect(h.setLinkUp("e", "a", false)).toBe(true);
    expect(h.activeUplink("e")).toBe("b");
    expect(h.setLinkUp("e", "b", false)).toBe(true);
    expect(h.activeUplink("e")).toBeUndefined();
    expect([...h.distancesFrom("e").keys()]).toEqual(["e"]);
    expect(h.distancesFrom("a").has("e")).toBe(false);
    h.setLinkUp("a", "e", true);
    expect(h.activeUplink("e")).toBe("a");
  });

  it("cannot cut an uplink the edge does not have", () => {
    const g = triangle();
    addEdgeRouter(g, "e", ["a"]);
    expect(g.setLinkUp("e", "c", false)).toBe(false);
  });
});
