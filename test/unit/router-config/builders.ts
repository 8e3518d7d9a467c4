import type { ChannelRegistry, RegisteredChannel } from "../../../shared/registry/model.ts";
import { Channel, type TeamDocumentInput } from "../../../shared/registry/schema.ts";
import { Topology, type TopologyInput } from "../../../shared/topology/schema.ts";

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

/** Two interiors and one edge in environment `env-a`, plus whatever `extra` adds. */
export function smallTopology(extra: Partial<TopologyInput> = {}): Topology {
  return Topology.parse({
    environments: [{ name: "env-a", cloud: "local", region: "here" }],
    routers: [
      {
        id: "int-a1",
        environment: "env-a",
        mode: "interior",
        host: "127.0.0.1",
        listeners: {
          clients: { port: 20001 },
          interRouter: { port: 20002 },
          edge: { port: 20003 },
        },
      },
      {
        id: "int-a2",
        environment: "env-a",
        mode: "interior",
        host: "127.0.0.1",
        listeners: {
          clients: { port: 20011 },
          interRouter: { port: 20012 },
          edge: { port: 20013 },
        },
      },
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
