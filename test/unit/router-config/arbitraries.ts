import fc from "fast-check";
import type { ChannelRegistry } from "../../../shared/registry/model.ts";
import type { TeamDocumentInput } from "../../../shared/registry/schema.ts";
import { Topology, type TopologyInput } from "../../../shared/topology/index.ts";
import { registryOf } from "./builders.ts";

/** Random valid projects: a meshed topology and a registry of channels over it. */
export interface Project {
  topology: Topology;
  registry: ChannelRegistry;
}

const topologyShape = fc.record({
  environments: fc.integer({ min: 1, max: 3 }),
  edges: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 3, maxLength: 3 }),
  crossCost: fc.integer({ min: 1, max: 50 }),
  broker: fc.boolean(),
  tls: fc.boolean(),
  flavour: fc.constantFrom("qpid-dispatch", "skupper-router") as fc.Arbitrary<
    "qpid-dispatch" | "skupper-router"
  >,
});

type TopologyShape = typeof topologyShape extends fc.Arbitrary<infer T> ? T : never;

function buildTopology(shape: TopologyShape): Topology {
  let port = 30000;
  const environments = Array.from({ length: shape.environments }, (_, i) => `env-${i}`);
  const routers: TopologyInput["routers"] = [];
  const links: NonNullable<TopologyInput["links"]> = [];
  environments.forEach((env, e) => {
    for (const n of [1, 2])
      routers.push({
        id: `${env}-int-${n}`,
        environment: env,
        mode: "interior",
        host: "127.0.0.1",
        listeners: {
          clients: { port: port++ },
          interRouter: { port: port++ },
          edge: { port: port++ },
        },
      });
    const tlsProfile = shape.tls ? "mtls" : undefined;
    links.push({ from: `${env}-int-2`, to: `${env}-int-1`, cost: 1, tlsProfile });
    if (e > 0)
      links.push({ from: `${env}-int-1`, to: "env-0-int-1", cost: shape.crossCost, tlsProfile });
    for (let n = 1; n <= (shape.edges[e] ?? 0); n++)
      routers.push({
        id: `${env}-edge-${n}`,
        environment: env,
        mode: "edge",
        host: "127.0.0.1",
        uplinks: [`${env}-int-1`, `${env}-int-2`],
        listeners: { clients: { port: port++ } },
      });
  });
  return Topology.parse({
    flavour: shape.flavour,
    environments: environments.map((name) => ({ name, cloud: "local", region: name })),
    routers,
    links,
    brokers: shape.broker
      ? [
          {
            name: "broker",
            environment: "env-0",
            host: "127.0.0.1",
            port: 5672,
            flavour: "rabbitmq",
          },
        ]
      : [],
  });
}

const segment = fc.constantFrom("a", "b", "orders", "events", "x1");
const address = fc
  .array(segment, { minLength: 1, maxLength: 3 })
  .chain((parts) => fc.constantFrom(parts.join("/"), `${parts.join("/")}.dead`));

export function registryArbitrary(topology: Topology): fc.Arbitrary<ChannelRegistry> {
  const envNames = topology.environments.map((e) => e.name);
  const teamNames = ["team-a", "team-b", "team-c"];
  const names = [...teamNames, "bot-1", "team-a-p1"];
  const routing =
    topology.brokers.length > 0
      ? fc.oneof(
          fc.constant({ kind: "message" as const }),
          fc.record({
            kind: fc.constant("broker" as const),
            broker: fc.constant("broker"),
            queue: fc.option(fc.constant("q-1"), { nil: undefined }),
          }),
        )
      : fc.constant({ kind: "message" as const });
  const channel = fc.record({
    address,
    description: fc.constant("generated"),
    distribution: fc.constantFrom("balanced", "closest", "multicast") as fc.Arbitrary<"balanced">,
    routing,
    maxMessageSize: fc.integer({ min: 1, max: 1 << 20 }),
    replyTo: fc.boolean(),
    producers: fc.subarray(names),
    consumers: fc.subarray(names),
    environments: fc.option(fc.subarray(envNames, { minLength: 1 }), { nil: undefined }),
  });
  return fc.uniqueArray(channel, { selector: (c) => c.address, maxLength: 8 }).chain((channels) =>
    fc
      .array(fc.integer({ min: 0, max: teamNames.length - 1 }), {
        minLength: channels.length,
        maxLength: channels.length,
      })
      .map((owners) => {
        const teams: TeamDocumentInput[] = teamNames.map((team) => ({
          team,
          principals: [`${team}-p1`, `${team}-p2`],
          channels: channels.filter((_, i) => teamNames[owners[i] ?? 0] === team),
        }));
        return registryOf(teams);
      }),
  );
}

export const projectArbitrary: fc.Arbitrary<Project> = topologyShape.chain((shape) => {
  const topology = buildTopology(shape);
  return registryArbitrary(topology).map((registry) => ({ topology, registry }));
});
