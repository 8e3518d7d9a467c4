/**
 * Images from a private registry: each Fargate task's execution role may pull exactly the
 * ECR repository its image names (the repository is read from the image reference), and each
 * Container App pulls from the Azure Container Registry the stack config names with its own
 * identity, which holds AcrPull on exactly that registry. A public image gets no grant.
 */
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import orderInvoicing from "../../../examples/functions/order-invoicing.ts";
import { ROLES } from "../../../infra/azure/roles.ts";
import { INFRA_DIR, type InfraPlan, planInfra } from "../../../infra/plan.ts";
import { Topology } from "../../../shared/topology/index.ts";
import { EXAMPLES_DIR } from "../router-config/example-project.ts";
import { named, ofType } from "./plan-support.ts";

const topology = Topology.parse(parse(readFileSync(join(EXAMPLES_DIR, "topology.yaml"), "utf8")));
const environmentsOn = (cloud: string) => topology.environments.filter((e) => e.cloud === cloud);
const routersIn = (env: string) => topology.routers.filter((r) => r.environment === env);
const digest = `@sha256:${"e5".repeat(32)}`;
const TRIGGER = {
  definition: relative(INFRA_DIR, join(EXAMPLES_DIR, "functions/order-invoicing.ts")),
  principal: "billing-worker",
};

// AWS: the team's ECR repositories, one for the routers and one for the bridge.
const ACCOUNT = "210987654321";
const ecrImage = (region: string, repository: string) =>
  `${ACCOUNT}.dkr.ecr.${region}.amazonaws.com/${repository}${digest}`;
const repositoryArn = (region: string, repository: string) =>
  `arn:aws:ecr:${region}:${ACCOUNT}:repository/${repository}`;

// Azure: the team's container registry, named by resource id in the stack config.
const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
const ACR = "meshimages";
const ACR_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/images/providers/Microsoft.ContainerRegistry/registries/${ACR}`;
const acrImage = (repository: string) => `${ACR}.azurecr.io/${repository}${digest}`;
const PUBLIC_IMAGE = `registry.example/amqp-mesh-router${digest}`;

interface Statement {
  Effect: string;
  Action: string[];
  Resource: string[];
}
const statementsOf = (plan: InfraPlan, policy: string): Statement[] =>
  JSON.parse(named(plan, "aws:iam/rolePolicy:RolePolicy", policy).inputs.policy as string)
    .Statement;
const roleDefinition = (id: string) =>
  `/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/${id}`;

let aws: InfraPlan;
let azure: InfraPlan;
beforeAll(async () => {
  aws = await planInfra(EXAMPLES_DIR, {
    cloud: "aws",
    settings: Object.fromEntries(
      environmentsOn("aws").map((e) => [
        e.name,
        {
          images: {
            [topology.flavour]: ecrImage(e.region, "amqp-mesh-router"),
            bridge: ecrImage(e.region, "amqp-mesh-bridge"),
          },
          triggers: [TRIGGER],
        },
      ]),
    ),
  });
  azure = await planInfra(EXAMPLES_DIR, {
    cloud: "azure",
    settings: Object.fromEntries(
      environmentsOn("azure").map((e) => [
        e.name,
        {
          images: {
            [topology.flavour]: acrImage("amqp-mesh-router"),
            bridge: acrImage("amqp-mesh-bridge"),
          },
          azure: { containerRegistry: ACR_ID },
          triggers: [{ ...TRIGGER, app: "billing-triggers" }],
        },
      ]),
    ),
  });
}, 240_000);

describe("pulling images from a private registry", { timeout: 120_000 }, () => {
  it("lets each Fargate task's execution role pull exactly the ECR repository of its image", () => {
    for (const env of environmentsOn("aws")) {
      const roles = [
        ...routersIn(env.name).map((r) => [`${r.id}-execution`, "amqp-mesh-router"]),
        [`${env.name}-${orderInvoicing.name}-bridge-execution`, "amqp-mesh-bridge"],
      ];
      for (const [policy, repository] of roles) {
        const statements = statementsOf(aws, policy!);
        const pull = statements.filter((s) => s.Action.some((a) => a.startsWith("ecr:")));
        expect(pull, policy).toEqual([
          {
            Effect: "Allow",
            Action: [
              "ecr:BatchCheckLayerAvailability",
              "ecr:BatchGetImage",
              "ecr:GetDownloadUrlForLayer",
            ],
            Resource: [repositoryArn(env.region, repository!)],
          },
          // The login token: IAM scopes it to no resource; it opens no repository by itself.
          { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
        ]);
        // '*' is that token's alone.
        for (const statement of statements.filter((s) => s.Resource.includes("*")))
          expect(statement.Action, policy).toEqual(["ecr:GetAuthorizationToken"]);
      }
    }
  });

  it("gives every Container App (routers, bridges) the configured registry, pulled with its own identity holding AcrPull on exactly that registry", () => {
    for (const env of environmentsOn("azure")) {
      // The routers' apps and the trigger's bridge.
      const apps = ofType(azure, "azure-native:app:ContainerApp", env.name);
      expect(apps.length).toBe(routersIn(env.name).length + 1);
      const pulls = ofType(azure, "azure-native:authorization:RoleAssignment", env.name).filter(
        (a) => a.inputs.roleDefinitionId === roleDefinition(ROLES.acrPull),
      );
      for (const app of apps) {
        const [identity] = (app.inputs.identity as { userAssignedIdentities: string[] })
          .userAssignedIdentities;
        expect((app.inputs.configuration as { registries: unknown }).registries, app.name).toEqual([
          { server: `${ACR}.azurecr.io`, identity },
        ]);
        // The identity's resource name ends its id (as the mocks make ids).
        const identityName = identity!.split("/").pop();
        expect(
          pulls.filter((a) => a.inputs.principalId === `${identityName}-principal`),
          app.name,
        ).toMatchObject([{ inputs: { scope: ACR_ID } }]);
      }
      expect(pulls.length).toBe(apps.length);
      expect(azure.environments.find((e) => e.name === env.name)!.warnings).not.toContainEqual(
        expect.stringContaining("azurecr.io"),
      );
    }
  });

  it("grants no pull for a public image, and warns about an image on a registry the stack does not name", async () => {
    const awsEnv = environmentsOn("aws")[0]!;
    const azureEnv = environmentsOn("azure")[0]!;
    const publicImages = await planInfra(EXAMPLES_DIR, {
      settings: {
        [awsEnv.name]: { images: { [topology.flavour]: PUBLIC_IMAGE } },
        [azureEnv.name]: {
          images: { [topology.flavour]: PUBLIC_IMAGE },
          azure: { containerRegistry: ACR_ID },
        },
      },
    });
    for (const policy of ofType(publicImages, "aws:iam/rolePolicy:RolePolicy"))
      expect(String(policy.inputs.policy), policy.name).not.toContain("ecr:");
    for (const app of ofType(publicImages, "azure-native:app:ContainerApp"))
      expect((app.inputs.configuration as { registries: unknown[] }).registries).toEqual([]);
    expect(
      ofType(publicImages, "azure-native:authorization:RoleAssignment").filter(
        (a) => a.inputs.roleDefinitionId === roleDefinition(ROLES.acrPull),
      ),
    ).toEqual([]);

    const otherRegistry = await planInfra(EXAMPLES_DIR, {
      cloud: "azure",
      settings: { [azureEnv.name]: { images: { [topology.flavour]: acrImage("router") } } },
    });
    expect(otherRegistry.environments[0]!.warnings).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^${acrImage("router").replace(/[.]/g, "\\.")} is on an Azure Container Registry the stack does not name: .*amqp-mesh:azure\\.containerRegistry`,
        ),
      ),
    );
  });
});
