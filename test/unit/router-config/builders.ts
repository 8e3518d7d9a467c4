import type { ChannelRegistry, RegisteredChannel } from "../../../shared/registry/model.ts";
import { Channel, type TeamDocumentInput } from "../../../shared/registry/schema.ts";
import { Topology, type TopologyInput } from "../../../shared/topology/index.ts";

/** Small registries and topologies for focused tests, with the schema defaults applied. */

export function registryOf(teams: TeamDocumentInput[]): ChannelRegistry {
  const registry: ChannelRegistry = { teams: [], channels: [] };
  for (const input of teams) {
    const file = `registry/${input.team}.yaml`;
    const channels = (input.channels ?? []).map((c) => Channel.parse(c));
    registry.teams.push({ team: input.team, principals: input.principals ?? [], channels, file });
    channels.forEach((channel, index) => {
      const registered: RegisteredChannel = {
        ...channel,
        owner: input.team,
        source: { file, line: 4 + index * 5, column: 5 },
      };
      registry.channels.push(registered);
    });
  }
  return registry;
}

/** An interior of `env-a` listening for clients, interiors and edges on basePort + 1, 2, 3. */
function interior(id: string, basePort: number) {
  return {
    id,
    environment: "env-a",
    mode: "interior" as const,
    host: "127.0.0.1",
    listeners: {
      clients: { port: basePort + 1 },
      interRouter: { port: basePort + 2 },
      edge: { port: basePort + 3 },
    },
  };
}

/** Two interiors and one edge in environment `env-a`, plus whatever `extra` adds. */
export function smallTopology(extra: Partial<TopologyInput> = {}): Topology {
  return Topology.parse({
    environments: [{ name: "env-a", cloud: "local", region: "here" }],
    routers: [
      interior("int-a1", 20000),
      interior("int-a2", 20010),
      {
        id: "edge-a1",
        environment: "env-a",
        mode: "edge",
        host: "127.0.0.1",
        uplinks: ["int-a1", "int-a2"],
        listeners: { clients: { port: 20021 } },
      },
    ],
    links: [{ from: "int-a2", to: "int-a1", cost: 3 }],
    brokers: [{ name: "rabbit", environment: "env-a", host: "127.0.0.1", flavour: "rabbitmq" }],
    ...extra,
  });
}
