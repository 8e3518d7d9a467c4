/**
 * The team triggers a stack deploys (bridge mode, AWS): per trigger its Lambda and its bridge,
 * a Fargate service next to the edge routers invoking exactly that Lambda, each reading only
 * its principal's secret. The channel and name come from the team's definition (imported here
 * as the team wrote it, not from infra); the principal from the stack config, checked against
 * the registry.
 */
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import orderInvoicing from "../../../examples/functions/order-invoicing.ts";
import { INFRA_DIR, type InfraPlan, planInfra } from "../../../infra/plan.ts";
import { declareEnvironment } from "../../../infra/program.ts";
import { readProject } from "../../../infra/project.ts";
import { parseStackSettings } from "../../../infra/settings.ts";
import { PLACEHOLDER_BRIDGE_IMAGE, readTeamTriggers } from "../../../infra/triggers.ts";
import { Topology } from "../../../shared/topology/index.ts";
import { EXAMPLES_DIR } from "../router-config/example-project.ts";
import { named, ofType } from "./plan-support.ts";

const topology = Topology.parse(parse(readFileSync(join(EXAMPLES_DIR, "topology.yaml"), "utf8")));
const awsEnvironments = topology.environments.filter((e) => e.cloud === "aws");
const DEFINITION = relative(INFRA_DIR, join(EXAMPLES_DIR, "functions/order-invoicing.ts"));
const PRINCIPAL = "billing-worker";
const digest = (byte: string) => `sha256:${byte.repeat(32)}`;
const BRIDGE_IMAGE = `registry.example/amqp-mesh-bridge@${digest("b2")}`;
const ROUTER_IMAGE = `registry.example/amqp-mesh-router@${digest("a1")}`;
const stack = (extra: Record<string, unknown> = {}) => ({
  images: { [topology.flavour]: ROUTER_IMAGE, bridge: BRIDGE_IMAGE },
  triggers: [{ definition: DEFINITION, principal: PRINCIPAL }],
  ...extra,
});

let plan: InfraPlan;
beforeAll(async () => {
  plan = await planInfra(EXAMPLES_DIR, {
    cloud: "aws",
    settings: Object.fromEntries(awsEnvironments.map((e) => [e.name, stack()])),
  });
}, 240_000);

interface Statement {
  Action: string[];
  Resource: string[];
}
const statements = (policy: string, env: string): Statement[] =>
  ofType(plan, "aws:iam/rolePolicy:RolePolicy", env)
    .filter((p) => p.name === policy)
    .flatMap((p) => JSON.parse(p.inputs.policy as string).Statement as Statement[]);
const arn = (service: string, name: string) => `arn:aws:${service}:mock:000000000000:${name}`;

describe("team triggers on AWS (bridge mode)", { timeout: 120_000 }, () => {
  it("deploys each trigger's function from its bundle, logging in as its principal with the password from Secrets Manager", () => {
    for (const env of awsEnvironments) {
      const name = `${env.name}-${orderInvoicing.name}`;
      const fn = named(plan, "aws:lambda/function:Function", name);
      expect(fn.inputs.code).toEqual({
        archive: join(INFRA_DIR, "../dist/functions/aws", orderInvoicing.name),
      });
      expect(fn.inputs.runtime).toBe("nodejs24.x");
      const variables = (fn.inputs.environment as { variables: Record<string, string> }).variables;
      const secret = named(
        plan,
        "aws:secretsmanager/secret:Secret",
        `${env.name}-${PRINCIPAL}-password`,
      );
      expect(secret.inputs.name).toBe(`amqp-mesh/${env.name}/${PRINCIPAL}-password`);
      expect(variables).toMatchObject({
        MESH_SASL_USERNAME: PRINCIPAL,
        MESH_SASL_PASSWORD_SECRET: arn("secretsmanager", secret.name),
        REGISTRY_SNAPSHOT_KEY: "published/registry-snapshot.json",
      });
      expect(variables.MESH_SASL_PASSWORD).toBeUndefined();
      expect(
        statements(`${name}-data`, env.name).map((s) => [s.Action, s.Resource.length]),
      ).toEqual([
        [["s3:GetObject"], 1],
        [["secretsmanager:GetSecretValue"], 1],
        // The routers' CA, the same secret the bridge reads (MESH_TLS_CA_SECRET).
        [["secretsmanager:GetSecretValue"], 1],
      ]);
      expect(variables.MESH_TLS_CA_SECRET).toMatch(/^arn:aws:secretsmanager:.*-ca$/);
      expect(statements(`${name}-data`, env.name)[1]!.Resource).toEqual([
        arn("secretsmanager", secret.name),
      ]);
    }
  });

  it("runs one bridge per trigger next to the edge routers: its channel, exactly its function, the bridge image, the password and the routers' CA as ECS secrets", () => {
    for (const env of awsEnvironments) {
      const name = `${env.name}-${orderInvoicing.name}`;
      const service = named(plan, "aws:ecs/service:Service", `${name}-bridge-service`);
      expect(service.inputs).toMatchObject({ desiredCount: 1, launchType: "FARGATE" });
      const fn = named(plan, "aws:lambda/function:Function", name);
      // The bridge sits where the functions sit: the group the edge routers' client listeners admit.
      const network = service.inputs.networkConfiguration as {
        securityGroups: string[];
        subnets: string[];
        assignPublicIp: boolean;
      };
      const functionVpc = fn.inputs.vpcConfig as {
        securityGroupIds: string[];
        subnetIds: string[];
      };
      expect(network.securityGroups).toEqual(functionVpc.securityGroupIds);
      expect(network.subnets).toEqual(functionVpc.subnetIds);
      expect(network.assignPublicIp).toBe(false);
      const admitted = ofType(
        plan,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        env.name,
      ).filter((r) => r.inputs.referencedSecurityGroupId === network.securityGroups[0]);
      const edgePorts = topology.routers
        .filter((r) => r.environment === env.name && r.mode === "edge")
        .map((r) => r.listeners.clients.port);
      for (const port of edgePorts)
        expect(
          admitted.some((r) => r.inputs.fromPort === port),
          `edge port ${port}`,
        ).toBe(true);

      const task = named(plan, "aws:ecs/taskDefinition:TaskDefinition", `${name}-bridge-task`);
      expect(service.inputs.taskDefinition).toBe(arn("ecs", task.name));
      const [container] = JSON.parse(task.inputs.containerDefinitions as string) as {
        image: string;
        environment: { name: string; value: string }[];
        secrets: { name: string; valueFrom: string }[];
        logConfiguration: { options: Record<string, string> };
      }[];
      expect(container!.image).toBe(BRIDGE_IMAGE);
      const environment = Object.fromEntries(container!.environment.map((e) => [e.name, e.value]));
      const fnVariables = (fn.inputs.environment as { variables: Record<string, string> })
        .variables;
      expect(environment).toMatchObject({
        MESH_BRIDGE_CHANNEL: orderInvoicing.channel,
        MESH_BRIDGE_LAMBDA: fn.inputs.name,
        MESH_URLS: fnVariables.MESH_URLS,
        MESH_SASL_USERNAME: PRINCIPAL,
      });
      expect(environment.MESH_SASL_PASSWORD).toBeUndefined();
      const secretArn = fnVariables.MESH_SASL_PASSWORD_SECRET;
      // It trusts the CA the edge routers' containers get for their client listeners: a
      // secret of its own (the PEM), not the environment's shared one (the SASL database).
      const edgeCas = new Set(
        topology.routers
          .filter((r) => r.environment === env.name && r.mode === "edge")
          .map((r) => {
            const [router] = JSON.parse(
              named(plan, "aws:ecs/taskDefinition:TaskDefinition", `${r.id}-task`).inputs
                .containerDefinitions as string,
            ) as { secrets: { name: string; valueFrom: string }[] }[];
            return router!.secrets.find((x) => /^MESH_TLS_.*_CA$/.test(x.name))?.valueFrom;
          }),
      );
      expect(edgeCas.size).toBe(1);
      const [caArn] = [...edgeCas];
      const caSecret = ofType(plan, "aws:secretsmanager/secret:Secret", env.name).find(
        (x) => arn("secretsmanager", x.name) === caArn,
      );
      expect(caSecret?.inputs.name).toMatch(new RegExp(`^amqp-mesh/${env.name}/[a-z0-9-]+-ca$`));
      expect(container!.secrets).toEqual([
        { name: "MESH_SASL_PASSWORD", valueFrom: secretArn },
        { name: "MESH_TLS_CA", valueFrom: caArn },
      ]);
      // ECS reads exactly those secrets for it; the task may invoke exactly that function.
      const execution = statements(`${name}-bridge-execution`, env.name);
      expect(
        execution
          .filter((s) => s.Action.includes("secretsmanager:GetSecretValue"))
          .flatMap((s) => s.Resource),
      ).toEqual([secretArn, caArn]);
      expect(task.inputs.executionRoleArn).toBe(arn("iam", `${name}-bridge-execution`));
      expect(task.inputs.taskRoleArn).toBe(arn("iam", `${name}-bridge-task`));
      expect(statements(`${name}-bridge-invoke`, env.name)).toEqual([
        { Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [arn("lambda", name)] },
      ]);
      const logs = ofType(plan, "aws:cloudwatch/logGroup:LogGroup", env.name).find(
        (g) => g.inputs.name === container!.logConfiguration.options["awslogs-group"],
      );
      expect(logs?.inputs.retentionInDays).toBe(30);
    }
  });

  it("adds exactly one function and one bridge service per trigger, nothing when none is configured", async () => {
    const none = await planInfra(EXAMPLES_DIR, {
      cloud: "aws",
      settings: Object.fromEntries(
        awsEnvironments.map((e) => [e.name, { images: { [topology.flavour]: ROUTER_IMAGE } }]),
      ),
    });
    for (const env of awsEnvironments)
      for (const type of [
        "aws:lambda/function:Function",
        "aws:ecs/service:Service",
        "aws:ecs/taskDefinition:TaskDefinition",
      ])
        expect(
          ofType(plan, type, env.name).length - ofType(none, type, env.name).length,
          type,
        ).toBe(1);
  });

  it("stops with the setting to fix: a principal that may not consume the channel, a definition that is none, no bridge image", async () => {
    const project = await readProject(EXAMPLES_DIR);
    const read = (triggers: unknown) =>
      readTeamTriggers(project, parseStackSettings({ triggers }, "t"), INFRA_DIR);
    await expect(read([{ definition: DEFINITION, principal: "sales-api" }])).rejects.toThrow(
      `amqp-mesh:triggers[0].principal: 'sales-api' may not consume '${orderInvoicing.channel}'`,
    );
    await expect(
      read([
        {
          definition: relative(INFRA_DIR, join(EXAMPLES_DIR, "functions/channel-payloads.ts")),
          principal: PRINCIPAL,
        },
      ]),
    ).rejects.toThrow(
      /amqp-mesh:triggers\[0\]\.definition: .* has no default export made by defineChannelHandler/,
    );
    const triggers = await read([{ definition: DEFINITION, principal: PRINCIPAL }]);
    expect(triggers).toEqual([
      { name: orderInvoicing.name, channel: orderInvoicing.channel, principal: PRINCIPAL },
    ]);
    const azure = topology.environments.find((e) => e.cloud === "azure")!;
    const aws = awsEnvironments[0]!;
    const declare = (environment: string, settings: Record<string, unknown>) => () =>
      declareEnvironment({
        project,
        environment,
        settings: parseStackSettings(settings, "t"),
        infraDir: INFRA_DIR,
        triggers,
      });
    // Azure deploys them too (azure-triggers.test.ts).
    expect(declare(azure.name, stack())).not.toThrow();
    expect(declare(aws.name, { images: { [topology.flavour]: ROUTER_IMAGE } })).toThrow(
      /amqp-mesh:images\.bridge is not set: .*pulumi config set --path 'amqp-mesh:images\.bridge'/,
    );
    // The plan shows the placeholder and says what to set.
    const unset = await planInfra(EXAMPLES_DIR, {
      cloud: "aws",
      settings: { [aws.name]: { ...stack(), images: { [topology.flavour]: ROUTER_IMAGE } } },
    });
    const task = named(
      unset,
      "aws:ecs/taskDefinition:TaskDefinition",
      `${aws.name}-${orderInvoicing.name}-bridge-task`,
    );
    expect(JSON.parse(task.inputs.containerDefinitions as string)[0].image).toBe(
      PLACEHOLDER_BRIDGE_IMAGE,
    );
    expect(
      unset.environments[0]!.warnings.some((w) =>
        w.startsWith("amqp-mesh:images.bridge is not set"),
      ),
    ).toBe(true);
  });
});
