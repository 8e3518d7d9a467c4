/** One AsyncAPI 3.0 document per team: its channels, who sends and receives, where to connect. */
import type { ChannelRegistry, RegisteredTeam } from "../registry/index.ts";
import type { Topology } from "../topology/index.ts";
import type { AsyncApiDocument } from "./asyncapi.ts";
import { channelOf } from "./channels.ts";
import { channelKey } from "./ids.ts";
import { operationsOf } from "./operations.ts";
import { serversOf } from "./servers.ts";
import { documentVersion, type PublishedVersion } from "./version.ts";

export interface TeamCatalogDocument {
  team: string;
  document: AsyncApiDocument;
}

export function teamDocument(
  team: RegisteredTeam,
  registry: ChannelRegistry,
  topology: Topology,
  previous?: PublishedVersion,
): AsyncApiDocument {
  const owned = registry.channels.filter((channel) => channel.owner === team.team);
  const { servers, securitySchemes } = serversOf(topology);
  const channels: AsyncApiDocument["channels"] = {};
  const operations: AsyncApiDocument["operations"] = {};
  for (const channel of owned) {
    channels[channelKey(channel.address)] = channelOf(channel, registry.channels, topology);
    Object.assign(operations, operationsOf(channel, registry));
  }
  return {
    asyncapi: "3.0.0",
    info: {
      title: `${team.team} channels`,
      version: documentVersion(owned, previous),
      description:
        `${team.description ?? `The channels team ${team.team} owns.`}\n\n` +
        `Principals acting for ${team.team}: ${team.principals.length > 0 ? team.principals.join(", ") : "none"}. ` +
        "Generated from the channel registry by `amqp-mesh catalog`; the major version rises with every breaking change of a channel.",
      tags: [{ name: `team:${team.team}` }],
      "x-amqp-mesh-team": team.team,
      "x-amqp-mesh-flavour": topology.flavour,
    },
    defaultContentType: "application/json",
    servers,
    channels,
    operations,
    components: { securitySchemes },
  };
}

/** Every team's document, in the registry's team order (versions against `baselines`, by team). */
export function teamDocuments(
  registry: ChannelRegistry,
  topology: Topology,
  baselines: ReadonlyMap<string, PublishedVersion> = new Map(),
): TeamCatalogDocument[] {
  return registry.teams.map((team) => ({
    team: team.team,
    document: teamDocument(team, registry, topology, baselines.get(team.team)),
  }));
}
