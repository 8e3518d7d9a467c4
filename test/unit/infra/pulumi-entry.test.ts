/**
 * The Pulumi program's entry (infra/index.ts) as `pulumi up` loads it: the stack's name picks
 * the environment and its config (as the CLI hands it over) the settings, under Pulumi's mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { EXAMPLES_DIR } from "../router-config/example-project.ts";

interface Declared {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const IMAGE = `registry.example/amqp-mesh-router@sha256:${"0f".repeat(32)}`;

describe("infra/index.ts", { timeout: 120_000 }, () => {
  it("deploys the environment the stack is named after, with the stack's config", async () => {
    const declared: Declared[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          declared.push({ type: args.type, name: args.name, inputs: args.inputs });
          return {
            id: `${args.name}-id`,
            state: { ...args.inputs, arn: `arn:aws:mock:${args.name}` },
          };
        },
        call: () => ({}),
      },
      "amqp-mesh",
      "aws-eu",
      true,
      "organization",
    );
    pulumi.runtime.setAllConfig({
      "amqp-mesh:project": EXAMPLES_DIR,
      "amqp-mesh:logRetentionDays": "7",
      "amqp-mesh:peerEgressCidrs": '["198.51.100.0/24"]',
      "amqp-mesh:registryPrefix": "eu/",
      "amqp-mesh:images": JSON.stringify({ "qpid-dispatch": IMAGE }),
    });
    const program = await import("../../../infra/index.ts");
    expect(
      await new Promise((done) =>
        pulumi.output(program.environment as pulumi.Input<string>).apply(done),
      ),
    ).toBe("aws-eu");
    // The names the runbook's commands take are stack outputs.
    const outputOf = (value: unknown) =>
      new Promise((done) => pulumi.output(value as pulumi.Input<string>).apply(done));
    expect(await outputOf(program.ingressFunction)).toBe("aws-eu-ingress");
    expect(await outputOf(program.syncFunction)).toBe("aws-eu-config-sync");
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

    const provider = declared.find((d) => d.type === "pulumi:providers:aws");
    expect(provider?.inputs.region).toBe("eu-west-1");
    const services = declared
      .filter((d) => d.type === "aws:ecs/service:Service")
      .map((d) => d.inputs.name);
    expect(services.sort()).toEqual([
      "aws-eu-edge-1",
      "aws-eu-edge-2",
      "aws-eu-interior-1",
      "aws-eu-interior-2",
    ]);
    expect(declared.some((d) => d.type.startsWith("azure-native:"))).toBe(false);
    for (const task of declared.filter((d) => d.type === "aws:ecs/taskDefinition:TaskDefinition"))
      expect(JSON.parse(task.inputs.containerDefinitions as string)[0].image).toBe(IMAGE);
    for (const group of declared.filter((d) => d.type === "aws:cloudwatch/logGroup:LogGroup"))
      expect(group.inputs.retentionInDays).toBe(7);
    const fromPeer = declared.filter(
      (d) =>
        d.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" &&
        d.inputs.cidrIpv4 !== undefined,
    );
    expect(fromPeer.length).toBeGreaterThan(0);
    for (const rule of fromPeer) expect(rule.inputs.cidrIpv4).toBe("198.51.100.0/24");
    const sync = declared.find(
      (d) => d.type === "aws:lambda/function:Function" && d.name.endsWith("config-sync"),
    );
    if (sync === undefined) throw new Error("no config-sync Lambda declared");
    const variables = (sync.inputs.environment as { variables: Record<string, unknown> }).variables;
    expect(variables.SYNC_REGISTRY_PREFIX).toBe("eu/");
    expect(variables.SYNC_STATE_KEY).toBe("eu/.amqp-mesh/sync-state.json");
  });
});
