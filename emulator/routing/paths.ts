/**
 * Lowest-cost paths over the emulated mesh (Dijkstra). Interior routers forward for others;
 * edge routers are leaves: they reach the mesh through one uplinked interior at a time and
 * never carry transit traffic, as in qdrouterd.
 */

export interface MeshNode {
  id: string;
  mode: "interior" | "edge";
  running: boolean;
  /** Edge only: interiors in preference order. */
  uplinks: readonly string[];
}

export interface MeshEdge {
  a: string;
  b: string;
  cost: number;
  up: boolean;
}

/** Cost of an edge router's connection to its interior (qdrouterd has no configured cost). */
export const EDGE_UPLINK_COST = 1;

function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

export class MeshGraph {
  readonly nodes = new Map<string, MeshNode>();
  readonly #edges = new Map<string, MeshEdge>();
  #cache = new Map<string, Map<string, number>>();

  addNode(node: MeshNode): void {
    this.nodes.set(node.id, node);
    this.invalidate();
  }

  addEdge(a: string, b: string, cost: number): void {
    this.#edges.set(linkKey(a, b), { a, b, cost, up: true });
    this.invalidate();
  }

  edge(a: string, b: string): MeshEdge | undefined {
    return this.#edges.get(linkKey(a, b));
  }

  /** Marks a configured link (or an edge's uplink) up or down. */
  setLinkUp(a: string, b: string, up: boolean): boolean {
    const key = linkKey(a, b);
    const existing = this.#edges.get(key);
    if (existing) {
      existing.up = up;
    } else {
      // Edge uplinks are implicit; remember a cut one as a down edge.
      const edgeNode = this.nodes.get(a)?.mode === "edge" ? a : b;
      const other = edgeNode === a ? b : a;
      if (!this.nodes.get(edgeNode)?.uplinks.includes(other)) return false;
      this.#edges.set(key, { a: edgeNode, b: other, cost: EDGE_UPLINK_COST, up });
    }
    this.invalidate();
    return true;
  }

  invalidate(): void {
    this.#cache = new Map();
  }

  /** The interior an edge router is currently attached to (first running, reachable uplink). */
  activeUplink(edgeId: string): string | undefined {
    const node = this.nodes.get(edgeId);
    if (node?.mode !== "edge" || !node.running) return undefined;
    for (const up of node.uplinks) {
      const interior = this.nodes.get(up);
      const link = this.#edges.get(linkKey(edgeId, up));
      if (interior?.running && (link === undefined || link.up)) return up;
    }
    return undefined;
  }

  #neighbours(id: string): Array<[string, number]> {
    const node = this.nodes.get(id);
    if (!node?.running) return [];
    const result: Array<[string, number]> = [];
    if (node.mode === "edge") {
      const up = this.activeUplink(id);
      if (up) result.push([up, EDGE_UPLINK_COST]);
      return result;
    }
    for (const e of this.#edges.values()) {
      if (!e.up) continue;
      const other = e.a === id ? e.b : e.b === id ? e.a : undefined;
      if (other === undefined) continue;
      const peer = this.nodes.get(other);
      if (!peer?.running) continue;
      if (peer.mode === "edge") continue; // edges are added below, via their active uplink
      result.push([other, e.cost]);
    }
    for (const peer of this.nodes.values()) {
      if (peer.mode === "edge" && this.activeUplink(peer.id) === id) {
        result.push([peer.id, EDGE_UPLINK_COST]);
      }
    }
    return result;
  }

  /** Lowest cost from `from` to every reachable router (itself at 0). */
  distancesFrom(from: string): Map<string, number> {
    const cached = this.#cache.get(from);
    if (cached) return cached;
    const dist = new Map<string, number>();
    const start = this.nodes.get(from);
    if (start?.running) {
      const done = new Set<string>();
      dist.set(from, 0);
      while (true) {
        let current: string | undefined;
        let best = Number.POSITIVE_INFINITY;
        for (const [id, d] of dist) {
          if (!done.has(id) && d < best) {
            best = d;
            current = id;
          }
        }
        if (current === undefined) break;
        done.add(current);
        // Edge routers are leaves: only their own traffic leaves through the uplink.
        if (current !== from && this.nodes.get(current)?.mode === "edge") continue;
        for (const [next, cost] of this.#neighbours(current)) {
          const candidate = best + cost;
          if (candidate < (dist.get(next) ?? Number.POSITIVE_INFINITY)) dist.set(next, candidate);
        }
      }
    }
    this.#cache.set(from, dist);
    return dist;
  }
}
