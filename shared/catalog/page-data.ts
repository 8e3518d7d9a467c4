/** What the catalog page shows, as plain data: channels by team, and how to connect per environment. */
import type { ChannelRegistry } from "../registry/index.ts";
import type { Topology } from "../topology/index.ts";
import { teamDocumentFile } from "./baseline.ts";
import { settlementOf } from "./channels.ts";
import { type ExampleMessage, exampleMessage } from "./example-message.ts";
import { describeParty, partyOf } from "./parties.ts";
import { edgeRouters, listenerSchemes, routerUrl, SECURITY_SCHEMES } from "./servers.ts";
import { documentVersion, type PublishedVersion } from "./version.ts";

export interface PageChannel {
  address: string;
  owner: string;
  description: string;
  version: number;
  distribution: string;
  delivery: string;
  settlement: string;
  routing: string;
  maxMessageSize: number;
  replyTo: boolean;
  environments: string[] | "all";
  schema: Record<string, unknown> | null;
  example: ExampleMessage | null;
  producers: { name: string; description: string }[];
  consumers: { name: string; description: string }[];
  deadLetter: string | null;
  deadLetterOf: string[];
}

export interface PageTeam {
  team: string;
  description: string;
  version: string;
  document: string;
  principals: string[];
  channels: PageChannel[];
}

export interface PageEnvironment {
  name: string;
  cloud: string;
  region: string;
  urls: string[];
  logins: string[];
  tls: boolean;
}

export interface PageData {
  teams: PageTeam[];
  environments: PageEnvironment[];
}

export function pageData(
  registry: ChannelRegistry,
  topology: Topology,
  baselines: ReadonlyMap<string, PublishedVersion> = new Map(),
): PageData {
  const party = (name: string) => ({ name, description: describeParty(partyOf(name, registry)) });
  const teams = registry.teams.map((team): PageTeam => {
    const owned = registry.channels.filter((c) => c.owner === team.team);
    return {
      team: team.team,
      description: team.description ?? "",
      version: documentVersion(owned, baselines.get(team.team)),
      document: teamDocumentFile(team.team),
      principals: [...team.principals],
      channels: owned.map((c) => ({
        address: c.address,
        owner: c.owner,
        description: c.description,
        version: c.version,
        distribution: c.distribution,
        delivery: c.delivery,
        settlement: settlementOf(c.delivery),
        routing:
          c.routing.kind === "broker"
            ? `through broker ${c.routing.broker}, queue ${c.routing.queue ?? c.address}`
            : "message routed through the mesh",
        maxMessageSize: c.maxMessageSize,
        replyTo: c.replyTo,
        environments: c.environments ?? "all",
        schema: c.payloadSchema ?? null,
        example: c.payloadSchema ? exampleMessage(c.payloadSchema) : null,
        producers: c.producers.map(party),
        consumers: c.consumers.map(party),
        deadLetter: c.deadLetter ?? null,
        deadLetterOf: registry.channels
          .filter((other) => other.deadLetter === c.address)
          .map((other) => other.address),
      })),
    };
  });
  const environments = topology.environments.map((env): PageEnvironment => {
    const edges = edgeRouters(topology).filter((r) => r.environment === env.name);
    const logins = new Set<string>();
    for (const edge of edges) {
      const listener = edge.listeners.clients;
      for (const name of listenerSchemes(
        listener.saslMechanisms,
        listener.tlsProfile !== undefined,
      ))
        logins.add(SECURITY_SCHEMES[name].description);
    }
    return {
      name: env.name,
      cloud: env.cloud,
      region: env.region,
      urls: edges.map(routerUrl),
      logins: [...logins],
      tls: edges.length > 0 && edges.every((e) => e.listeners.clients.tlsProfile !== undefined),
    };
  });
  return { teams, environments };
}
