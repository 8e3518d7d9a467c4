/**
 * The functions verify the routers over TLS: their settings carry the CA that signs the
 * routers' client listeners — the very secret the routers' containers get as their CA — as a
 * reference to the cloud's secret store, never the certificate itself; each reader's identity
 * may read exactly that secret. On AWS the CA is a secret of its own (the PEM), apart from the
 * environment's shared one (the SASL database), so that what a bridge reads holds nothing else.
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROLES } from "../../../infra/azure/roles.ts";
import { type InfraPlan, planInfra } from "../../../infra/plan.ts";
import { Topology } from "../../../shared/topology/index.ts";
import { EXAMPLES_DIR } from "../router-config/example-project.ts";
import { named, ofType } from "./plan-support.ts";

const topology = Topology.parse(parse(readFileSync(join(EXAMPLES_DIR, "topology.yaml"), "utf8")));
const environmentsOn = (cloud: string) => topology.environments.filter((e) => e.cloud === cloud);
const routersIn = (env: string) => topology.routers.filter((r) => r.environment === env);
const ROUTER_IMAGE = `registry.example/amqp-mesh-router@sha256:${"ab".repeat(32)}`;
const arn = (service: string, name: string) => `arn:aws:${service}:mock:000000000000:${name}`;
const roleDefinition = (id: string) =>
  `/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/${id}`;

let plan: InfraPlan;
beforeAll(async () => {
  plan = await planInfra(EXAMPLES_DIR, {
    settings: Object.fromEntries(
      topology.environments.map((e) => [e.name, { images: { [topology.flavour]: ROUTER_IMAGE } }]),
    ),
  });
}, 240_000);

/** The Key Vault URL of the CA a router's Container App mounts for its TLS profile. */
function mountedCa(routerId: string): string {
  const app = named(plan, "azure-native:app:ContainerApp", routerId);
  const [container] = (
    app.inputs.template as { containers: { env: { name: string; value?: string }[] }[] }
  ).containers;
  const file = container!.env.find((e) => /^MESH_TLS_.*_CA_FILE$/.test(e.name))?.value;
  expect(file, routerId).toBeDefined();
  const secrets = (app.inputs.configuration as { secrets: { name: string; keyVaultUrl: string }[] })
    .secrets;
  const secret = secrets.find((s) => s.name === basename(file!));
  expect(secret, routerId).toBeDefined();
  return secret!.keyVaultUrl;
}

describe("functions verify the routers with the CA that signs their client listeners", {
  timeout: 120_000,
}, () => {
  it("Azure: the ingress and config-sync carry a Key Vault reference to the routers' CA, readable by their identities alone", () => {
    for (const env of environmentsOn("azure")) {
      const cas = new Set(routersIn(env.name).map((r) => mountedCa(r.id)));
      expect(cas.size, env.name).toBe(1);
      const [caUrl] = [...cas];
      const secretName = caUrl!.split("/secrets/")[1]!;
      const readers = ofType(plan, "azure-native:authorization:RoleAssignment", env.name)
        .filter(
          (a) =>
            a.inputs.roleDefinitionId === roleDefinition(ROLES.keyVaultSecretsUser) &&
            String(a.inputs.scope).endsWith(`/secrets/${secretName}`),
        )
        .map((a) => String(a.inputs.principalId));
      for (const fn of ["ingress", "config-sync"]) {
        const site = named(plan, "azure-native:web:WebApp", `${env.name}-${fn}`);
        const settings = new Map(
          (
            site.inputs.siteConfig as { appSettings: { name: string; value: string }[] }
          ).appSettings.map((s) => [s.name, s.value]),
        );
        expect(settings.get("MESH_TLS_CA"), fn).toBe(`@Microsoft.KeyVault(SecretUri=${caUrl})`);
        expect(readers, fn).toContain(`${env.name}-${fn}-identity-principal`);
      }
      // Besides the routers' own identities, exactly the two functions read it.
      const routerIdentities = routersIn(env.name).map((r) => `${r.id}-identity-principal`);
      expect(readers.filter((r) => !routerIdentities.includes(r)).sort()).toEqual([
        `${env.name}-config-sync-identity-principal`,
        `${env.name}-ingress-identity-principal`,
      ]);
    }
  });

  it("AWS: every router takes its CA from a secret of its own (the PEM), which holds nothing else", () => {
    for (const env of environmentsOn("aws")) {
      const shared = named(plan, "aws:secretsmanager/secret:Secret", `${env.name}-mesh`);
      for (const router of routersIn(env.name)) {
        const [container] = JSON.parse(
          named(plan, "aws:ecs/taskDefinition:TaskDefinition", `${router.id}-task`).inputs
            .containerDefinitions as string,
        ) as { secrets: { name: string; valueFrom: string }[] }[];
        const cas = container!.secrets.filter((s) => /^MESH_TLS_.*_CA$/.test(s.name));
        expect(cas.length, router.id).toBeGreaterThan(0);
        for (const ca of cas) {
          // The whole secret, no JSON key: the PEM; and not the shared one.
          const secret = ofType(plan, "aws:secretsmanager/secret:Secret", env.name).find(
            (s) => arn("secretsmanager", s.name) === ca.valueFrom,
          );
          expect(secret, `${router.id} ${ca.name}: ${ca.valueFrom}`).toBeDefined();
          expect(secret!.name).not.toBe(shared.name);
          expect(secret!.inputs.name).toMatch(new RegExp(`^amqp-mesh/${env.name}/[a-z0-9-]+-ca$`));
          const policy = named(plan, "aws:iam/rolePolicy:RolePolicy", `${router.id}-execution`);
          expect(String(policy.inputs.policy), router.id).toContain(ca.valueFrom);
        }
      }
    }
  });

  it("AWS: the ingress and config-sync Lambdas read the routers' CA from the secret the routers' client listeners take theirs from (MESH_TLS_CA_SECRET), and their roles may read it", () => {
    for (const env of environmentsOn("aws")) {
      const casOf = (routers: { id: string }[]) =>
        new Set(
          routers.flatMap((router) => {
            const [container] = JSON.parse(
              named(plan, "aws:ecs/taskDefinition:TaskDefinition", `${router.id}-task`).inputs
                .containerDefinitions as string,
            ) as { secrets: { name: string; valueFrom: string }[] }[];
            return container!.secrets
              .filter((s) => /^MESH_TLS_.*_CA$/.test(s.name))
              .map((s) => s.valueFrom);
          }),
        );
      // The ingress publishes to the edge routers; config-sync manages every router.
      for (const [fn, routers] of [
        ["ingress", routersIn(env.name).filter((r) => r.mode === "edge")],
        ["config-sync", routersIn(env.name)],
      ] as const) {
        const lambda = named(plan, "aws:lambda/function:Function", `${env.name}-${fn}`);
        const variables = (lambda.inputs.environment as { variables: Record<string, string> })
          .variables;
        expect(variables.MESH_TLS_CA, `${fn}: never the PEM itself`).toBeUndefined();
        expect(casOf(routers), fn).toContain(variables.MESH_TLS_CA_SECRET);
        const policy = named(plan, "aws:iam/rolePolicy:RolePolicy", `${env.name}-${fn}-data`);
        expect(String(policy.inputs.policy), fn).toContain(variables.MESH_TLS_CA_SECRET);
      }
    }
  });
});
