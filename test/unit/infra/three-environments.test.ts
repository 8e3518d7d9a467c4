/**
 * A topology with three environments (two AWS regions and Azure) plans three stacks from the
 * same programs, no code change: the counts per environment follow from the topology.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InfraPlan, planInfra } from "../../../infra/plan.ts";
import { Topology, type TopologyInput } from "../../../shared/topology/index.ts";
import { loadExampleTopology } from "../router-config/example-project.ts";
import { ofType, projectWithTopology } from "./plan-support.ts";

/** The example plus a second AWS region: two interiors linked to each other and to aws-eu, one edge. */
function threeEnvironments(): TopologyInput {
  const example = loadExampleTopology();
  const port = (n: number) => 17300 + n;
  return {
    ...example,
    environments: [...example.environments, { name: "aws-us", cloud: "aws", region: "us-east-1" }],
    routers: [
      ...example.routers,
      ...[1, 2].map((i) => ({
        id: `aws-us-interior-${i}`,
        environment: "aws-us",
        mode: "interior" as const,
        host: "127.0.0.1",
        listeners: {
          clients: { port: port(i * 10 + 1) },
          interRouter: { port: port(i * 10 + 2), tlsProfile: "mesh-mtls" },
          edge: { port: port(i * 10 + 3), tlsProfile: "mesh-mtls" },
        },
      })),
      {
        id: "aws-us-edge-1",
        environment: "aws-us",
        mode: "edge" as const,
        host: "127.0.0.1",
        uplinks: ["aws-us-interior-1", "aws-us-interior-2"],
        listeners: { clients: { port: port(41) } },
      },
    ],
    links: [
      ...example.links,
      { from: "aws-us-interior-2", to: "aws-us-interior-1", cost: 1 },
      { from: "aws-us-interior-1", to: "aws-eu-interior-1", cost: 20 },
      { from: "azure-we-interior-2", to: "aws-us-interior-2", cost: 30 },
    ],
  };
}

let dir: string;
let plan: InfraPlan;
const topology = Topology.parse(threeEnvironments());
beforeAll(async () => {
  dir = projectWithTopology(threeEnvironments());
  plan = await planInfra(dir);
}, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("three environments: two AWS regions and Azure", { timeout: 120_000 }, () => {
  it("plans one stack per environment, each in its own region", () => {
    expect(plan.environments.map((e) => [e.name, e.cloud, e.region])).toEqual(
      topology.environments.map((e) => [e.name, e.cloud, e.region]),
    );
  });

  it("declares the resources each environment's routers, links and cloud call for", () => {
    for (const env of topology.environments) {
      const routers = topology.routers.filter((r) => r.environment === env.name);
      const inEnv = new Set(routers.map((r) => r.id));
      const envOf = (id: string) => topology.routers.find((r) => r.id === id)?.environment;
      const dialledFromElsewhere = new Set(
        topology.links
          .filter((l) => inEnv.has(l.to) && envOf(l.from) !== env.name)
          .map((l) => l.to),
      );
      const edges = routers.filter((r) => r.mode === "edge");
      const count = (type: string) => ofType(plan, type, env.name).length;
      if (env.cloud === "aws") {
        expect(count("aws:ecs/service:Service"), env.name).toBe(routers.length);
        expect(count("aws:ecs/taskDefinition:TaskDefinition"), env.name).toBe(routers.length);
        // a log group per router and per function (ingress, config-sync)
        expect(count("aws:cloudwatch/logGroup:LogGroup"), env.name).toBe(routers.length + 2);
        expect(count("aws:lambda/function:Function"), env.name).toBe(2);
        expect(count("aws:s3/bucket:Bucket"), env.name).toBe(1);
        // the internal NLB, and the internet-facing one only where another environment dials in
        expect(count("aws:lb/loadBalancer:LoadBalancer"), env.name).toBe(
          dialledFromElsewhere.size > 0 ? 2 : 1,
        );
        expect(count("aws:lb/listener:Listener"), env.name).toBe(
          edges.length + dialledFromElsewhere.size,
        );
        expect(count("aws:ec2/subnet:Subnet"), env.name).toBe(4);
      } else {
        expect(count("azure-native:app:ContainerApp"), env.name).toBe(routers.length);
        expect(count("azure-native:managedidentity:UserAssignedIdentity"), env.name).toBe(
          routers.length + 2,
        );
        expect(count("azure-native:web:WebApp"), env.name).toBe(2);
        expect(count("azure-native:eventgrid:SystemTopicEventSubscription"), env.name).toBe(1);
      }
    }
  });

  it("deploys each environment with a provider in its own region", () => {
    for (const env of topology.environments) {
      const providers = plan.resources.filter(
        (r) => r.environment === env.name && r.type.startsWith("pulumi:providers:"),
      );
      expect(
        providers.map((p) => p.type),
        env.name,
      ).toEqual([env.cloud === "aws" ? "pulumi:providers:aws" : "pulumi:providers:azure-native"]);
      expect(providers[0]!.inputs.region ?? providers[0]!.inputs.location, env.name).toBe(
        env.region,
      );
    }
  });
});
