/**
 * The team triggers a stack deploys on Azure (bridge mode): per team app a Function App from
 * its bundle, and per trigger its bridge — a Container App next to the edge routers calling
 * exactly that trigger's HTTP function — each identity reading exactly its secrets. The
 * channel and name come from the team's definition, the app from the bundles `npm run bundle`
 * writes, the routers and their CA from the plan itself.
 */
import { readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import orderInvoicing from "../../../examples/functions/order-invoicing.ts";
import { ROLES } from "../../../infra/azure/roles.ts";
import { INFRA_DIR, type InfraPlan, type PlannedResource, planInfra } from "../../../infra/plan.ts";
import { keyProperties } from "../../../infra/plan-summary.ts";
import { declareEnvironment } from "../../../infra/program.ts";
import { readProject } from "../../../infra/project.ts";
import { parseStackSettings } from "../../../infra/settings.ts";
import { PLACEHOLDER_BRIDGE_IMAGE, readTeamTriggers } from "../../../infra/triggers.ts";
import { Topology } from "../../../shared/topology/index.ts";
import { FUNCTIONS } from "../../../tools/bundle/bundle.ts";
import { EXAMPLES_DIR } from "../router-config/example-project.ts";
import { named, ofType } from "./plan-support.ts";

const topology = Topology.parse(parse(readFileSync(join(EXAMPLES_DIR, "topology.yaml"), "utf8")));
const azureEnvironments = topology.environments.filter((e) => e.cloud === "azure");
const routersIn = (env: string) => topology.routers.filter((r) => r.environment === env);
const DEFINITION = relative(INFRA_DIR, join(EXAMPLES_DIR, "functions/order-invoicing.ts"));
const PRINCIPAL = "billing-worker";
/** The team's Azure app registering order-invoicing (examples/functions/azure.ts), as bundled. */
const APP = FUNCTIONS.find(
  (f) => f.cloud === "azure" && f.entry === "examples/functions/azure.ts",
)!.name;
const digest = (byte: string) => `sha256:${byte.repeat(32)}`;
const BRIDGE_IMAGE = `registry.example/amqp-mesh-bridge@${digest("b2")}`;
const ROUTER_IMAGE = `registry.example/amqp-mesh-router@${digest("a1")}`;
const stack = (extra: Record<string, unknown> = {}) => ({
  images: { [topology.flavour]: ROUTER_IMAGE, bridge: BRIDGE_IMAGE },
  triggers: [{ definition: DEFINITION, principal: PRINCIPAL, app: APP }],
  ...extra,
});
const roleDefinition = (id: string) =>
  `/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/${id}`;

let plan: InfraPlan;
beforeAll(async () => {
  plan = await planInfra(EXAMPLES_DIR, {
    cloud: "azure",
    settings: Object.fromEntries(azureEnvironments.map((e) => [e.name, stack()])),
  });
}, 240_000);

const appSettings = (site: string) =>
  new Map(
    (
      named(plan, "azure-native:web:WebApp", site).inputs.siteConfig as {
        appSettings: { name: string; value: string }[];
      }
    ).appSettings.map((s) => [s.name, s.value]),
  );
/** Key Vault secret names an identity may read (Key Vault Secrets User), sorted. */
const vaultReadsOf = (env: string, identity: string) =>
  ofType(plan, "azure-native:authorization:RoleAssignment", env)
    .filter(
      (a) =>
        a.inputs.principalId === `${identity}-principal` &&
        a.inputs.roleDefinitionId === roleDefinition(ROLES.keyVaultSecretsUser),
    )
    .map((a) => String(a.inputs.scope).split("/secrets/")[1])
    .sort();
/** Every role an identity holds, as [role id, scope]. */
const rolesOf = (env: string, identity: string) =>
  ofType(plan, "azure-native:authorization:RoleAssignment", env)
    .filter((a) => a.inputs.principalId === `${identity}-principal`)
    .map((a) => [a.inputs.roleDefinitionId, a.inputs.scope]);
/** The Key Vault URL of the CA a router's Container App mounts for its TLS profile. */
function mountedCa(routerId: string): string {
  const app = named(plan, "azure-native:app:ContainerApp", routerId);
  const [container] = (
    app.inputs.template as { containers: { env: { name: string; value?: string }[] }[] }
  ).containers;
  const file = container!.env.find((e) => /^MESH_TLS_.*_CA_FILE$/.test(e.name))!.value!;
  return (
    app.inputs.configuration as { secrets: { name: string; keyVaultUrl: string }[] }
  ).secrets.find((s) => s.name === basename(file))!.keyVaultUrl;
}
type BridgeApp = {
  name: string;
  inputs: {
    managedEnvironmentId: string;
    identity: { userAssignedIdentities: string[] };
    configuration: {
      ingress?: unknown;
      secrets: { name: string; keyVaultUrl: string; identity: string }[];
    };
    template: {
      scale: unknown;
      containers: { image: string; env: { name: string; value?: string; secretRef?: string }[] }[];
    };
  };
};

describe("team triggers on Azure (bridge mode)", { timeout: 120_000 }, () => {
  it("deploys each team app as a Function App from its bundle, publishing as its principal with Key Vault references, reading the published snapshot alone", () => {
    for (const env of azureEnvironments) {
      const site = named(plan, "azure-native:web:WebApp", `${env.name}-${APP}`);
      const zip = named(plan, "azure-native:storage:Blob", `${env.name}-${APP}-zip`);
      expect(zip.inputs.source).toEqual({
        archive: join(INFRA_DIR, "../dist/functions/azure", APP),
      });
      expect(site.inputs).toMatchObject({ kind: "functionapp,linux", httpsOnly: true });
      const settings = appSettings(`${env.name}-${APP}`);
      const ingress = appSettings(`${env.name}-ingress`);
      const vault = ofType(plan, "azure-native:keyvault:Vault", env.name)[0]!;
      const caUrl = mountedCa(routersIn(env.name).find((r) => r.mode === "edge")!.id);
      expect(Object.fromEntries(settings)).toMatchObject({
        MESH_URLS: ingress.get("MESH_URLS"),
        MESH_SASL_USERNAME: PRINCIPAL,
        MESH_SASL_PASSWORD: `@Microsoft.KeyVault(SecretUri=https://${vault.name}.vault.mock/secrets/${PRINCIPAL}-password)`,
        MESH_TLS_CA: `@Microsoft.KeyVault(SecretUri=${caUrl})`,
        REGISTRY_SNAPSHOT_KEY: ingress.get("REGISTRY_SNAPSHOT_KEY"),
        REGISTRY_BLOB_CONTAINER: ingress.get("REGISTRY_BLOB_CONTAINER"),
        REGISTRY_BLOB__credential: "managedidentity",
      });
      for (const name of settings.keys()) expect(name).not.toMatch(/CONNECTION_STRING/);
      const identity = `${env.name}-${APP}-identity`;
      expect(vaultReadsOf(env.name, identity)).toEqual(
        [`${PRINCIPAL}-password`, caUrl.split("/secrets/")[1]].sort(),
      );
      // Its blob reads: as the ingress's — the registry container, conditioned on the snapshot.
      const blobRole = (who: string) =>
        ofType(plan, "azure-native:authorization:RoleAssignment", env.name)
          .filter(
            (a) =>
              a.inputs.principalId === `${who}-principal` &&
              a.inputs.roleDefinitionId === roleDefinition(ROLES.storageBlobDataReader),
          )
          .map((a) => [a.inputs.scope, a.inputs.condition]);
      expect(blobRole(identity)).toEqual(blobRole(`${env.name}-ingress-identity`));
      expect(blobRole(identity)).toHaveLength(1);
      // The password is declared (a placeholder), so that the roles have a scope.
      expect(
        ofType(plan, "azure-native:keyvault:Secret", env.name).filter(
          (s) => s.inputs.secretName === `${PRINCIPAL}-password`,
        ),
      ).toHaveLength(1);
    }
  });

  it("runs one bridge per trigger next to the edge routers: its channel, exactly its function over HTTP, the bridge image, its secrets from Key Vault", () => {
    for (const env of azureEnvironments) {
      const bridge = named(
        plan,
        "azure-native:app:ContainerApp",
        `${env.name}-bridge-${orderInvoicing.name}`,
      ) as unknown as BridgeApp;
      const routerApp = named(
        plan,
        "azure-native:app:ContainerApp",
        routersIn(env.name).find((r) => r.mode === "edge")!.id,
      ) as unknown as BridgeApp;
      // In the routers' Container Apps environment, one replica, reachable by nobody.
      expect(bridge.inputs.managedEnvironmentId).toBe(routerApp.inputs.managedEnvironmentId);
      expect(bridge.inputs.template.scale).toEqual({ minReplicas: 1, maxReplicas: 1 });
      expect(bridge.inputs.configuration.ingress).toBeUndefined();
      // What `infra plan` shows of it: no ingress, its secrets by name.
      expect(keyProperties(bridge as unknown as PlannedResource)).toEqual({
        image: BRIDGE_IMAGE,
        replicas: { minReplicas: 1, maxReplicas: 1 },
        secrets: ["MESH_SASL_PASSWORD", "AZURE_FUNCTION_KEY", "MESH_TLS_CA"],
      });
      const [container] = bridge.inputs.template.containers;
      expect(container!.image).toBe(BRIDGE_IMAGE);
      const env_ = new Map(container!.env.map((e) => [e.name, e]));
      const site = plan.environments.find((e) => e.name === env.name)!.outputs
        .triggerFunctions as Record<string, string>;
      expect(site[orderInvoicing.name]).toBe(`${env.name}-${APP}`);
      expect(env_.get("MESH_BRIDGE_CHANNEL")?.value).toBe(orderInvoicing.channel);
      // azureTrigger's route, under the bundles' empty route prefix, on that app's host.
      expect(env_.get("MESH_BRIDGE_AZURE_URL")?.value).toBe(
        `https://${site[orderInvoicing.name]}.azurewebsites.mock/triggers/${orderInvoicing.name}`,
      );
      expect(env_.get("MESH_URLS")?.value).toBe(
        appSettings(`${env.name}-ingress`).get("MESH_URLS"),
      );
      expect(env_.get("MESH_SASL_USERNAME")?.value).toBe(PRINCIPAL);
      for (const secret of ["MESH_SASL_PASSWORD", "AZURE_FUNCTION_KEY", "MESH_TLS_CA"]) {
        expect(env_.get(secret)?.value, secret).toBeUndefined();
        expect(env_.get(secret)?.secretRef, secret).toBeDefined();
      }
      const secretUrl = (variable: string) =>
        bridge.inputs.configuration.secrets.find((s) => s.name === env_.get(variable)!.secretRef)
          ?.keyVaultUrl;
      const vault = ofType(plan, "azure-native:keyvault:Vault", env.name)[0]!;
      expect(secretUrl("MESH_SASL_PASSWORD")).toBe(
        `https://${vault.name}.vault.mock/secrets/${PRINCIPAL}-password`,
      );
      expect(secretUrl("AZURE_FUNCTION_KEY")).toBe(
        `https://${vault.name}.vault.mock/secrets/${orderInvoicing.name}-function-key`,
      );
      expect(secretUrl("MESH_TLS_CA")).toBe(mountedCa(routerApp.name));
      // Its own identity resolves them, and may read exactly those three secrets, nothing else.
      const [identity] = bridge.inputs.identity.userAssignedIdentities;
      for (const s of bridge.inputs.configuration.secrets) expect(s.identity).toBe(identity);
      const identityName = `${env.name}-bridge-${orderInvoicing.name}-identity`;
      const reads = vaultReadsOf(env.name, identityName);
      expect(reads).toEqual(
        ["MESH_SASL_PASSWORD", "AZURE_FUNCTION_KEY", "MESH_TLS_CA"]
          .map((v) => secretUrl(v)!.split("/secrets/")[1])
          .sort(),
      );
      expect(rolesOf(env.name, identityName)).toHaveLength(reads.length);
      // The function key is the bridge's alone; declared as a placeholder set outside Pulumi.
      expect(
        ofType(plan, "azure-native:authorization:RoleAssignment", env.name).filter((a) =>
          String(a.inputs.scope).endsWith(`/secrets/${orderInvoicing.name}-function-key`),
        ),
      ).toHaveLength(1);
      const key = ofType(plan, "azure-native:keyvault:Secret", env.name).find(
        (s) => s.inputs.secretName === `${orderInvoicing.name}-function-key`,
      );
      expect(JSON.stringify(key?.inputs.properties)).toContain("[secret]");
    }
  });

  it("adds exactly one Function App per team app and one Container App per trigger, nothing when none is configured", async () => {
    const none = await planInfra(EXAMPLES_DIR, {
      cloud: "azure",
      settings: Object.fromEntries(
        azureEnvironments.map((e) => [e.name, { images: { [topology.flavour]: ROUTER_IMAGE } }]),
      ),
    });
    for (const env of azureEnvironments)
      for (const type of ["azure-native:web:WebApp", "azure-native:app:ContainerApp"])
        expect(
          ofType(plan, type, env.name).length - ofType(none, type, env.name).length,
          type,
        ).toBe(1);
  });

  it("stops with the setting to fix: one app logging in as two principals, an app named like the platform's; no bridge image is a placeholder and a warning", async () => {
    const project = await readProject(EXAMPLES_DIR);
    const azure = azureEnvironments[0]!;
    const same = await readTeamTriggers(
      project,
      parseStackSettings({ triggers: [{ definition: DEFINITION, principal: PRINCIPAL }] }, "t"),
      INFRA_DIR,
    );
    const declare = (two: typeof same) => () =>
      declareEnvironment({
        project,
        environment: azure.name,
        settings: parseStackSettings(stack(), "t"),
        infraDir: INFRA_DIR,
        triggers: two,
      });
    expect(
      declare([
        { ...same[0]!, app: APP },
        { ...same[0]!, name: "order-invoicing-2", principal: "other-worker", app: APP },
      ]),
    ).toThrow(
      new RegExp(
        `amqp-mesh:triggers: the Function App '${APP}' would log in as '${PRINCIPAL}' and 'other-worker'`,
      ),
    );
    expect(() =>
      parseStackSettings(
        { triggers: [{ definition: DEFINITION, principal: PRINCIPAL, app: "ingress" }] },
        "t",
      ),
    ).toThrow(/amqp-mesh:triggers\.0\.app: the platform's own app/);
    const unset = await planInfra(EXAMPLES_DIR, {
      cloud: "azure",
      settings: { [azure.name]: { ...stack(), images: { [topology.flavour]: ROUTER_IMAGE } } },
    });
    const bridge = named(
      unset,
      "azure-native:app:ContainerApp",
      `${azure.name}-bridge-${orderInvoicing.name}`,
    ) as unknown as BridgeApp;
    expect(bridge.inputs.template.containers[0]!.image).toBe(PLACEHOLDER_BRIDGE_IMAGE);
    expect(unset.environments[0]!.warnings).toContainEqual(
      expect.stringMatching(/^amqp-mesh:images\.bridge is not set/),
    );
  });
});
