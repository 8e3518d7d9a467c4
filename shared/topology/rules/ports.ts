import type { Diagnostic } from "../../diagnostics.ts";
import type { Topology } from "../schema.ts";
import type { TopologyPlaces } from "./place.ts";

interface PortUse {
  host: string;
  port: number;
  path: (string | number)[];
  owner: string;
}

/**
 * Two services on one host cannot listen on the same port. The host of a router's listeners is
 * the router's `host` (the machine), not the listener's bind address.
 */
export function checkPorts(topology: Topology, places: TopologyPlaces): Diagnostic[] {
  const uses: PortUse[] = [
    ...topology.routers.flatMap((router, index) =>
      (["clients", "interRouter", "edge"] as const).flatMap((kind) => {
        const listener = router.listeners[kind];
        if (listener === undefined) return [];
        return [
          {
            host: router.host,
            port: listener.port,
            path: ["routers", index, "listeners", kind, "port"],
            owner: `the ${kind} listener of router '${router.id}'`,
          },
        ];
      }),
    ),
    ...topology.brokers.map((broker, index) => ({
      host: broker.host,
      port: broker.port,
      path: ["brokers", index, "port"],
      owner: `broker '${broker.name}'`,
    })),
  ];
  const firstUse = new Map<string, PortUse>();
  const diagnostics: Diagnostic[] = [];
  for (const use of uses) {
    const key = `${use.host.toLowerCase()}:${use.port}`;
    const first = firstUse.get(key);
    if (first === undefined) {
      firstUse.set(key, use);
      continue;
    }
    diagnostics.push(
      places.at(use.path, {
        code: "topology/port-conflict",
        message: `port ${use.port} on host ${use.host} of ${use.owner} is already used by ${first.owner} (${places.where(first.path)})`,
        hint: "give one of them another port or host",
      }),
    );
  }
  return diagnostics;
}
