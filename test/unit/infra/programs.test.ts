/**
 * The infra programs run under Pulumi's mocks on the example project: what a reviewer checks
 * before `pulumi up` — routers, zones, listeners, exposure, the registry store, the change
 * event, access policies, images, logs and the cross-cloud links — with every expectation
 * computed from the topology and the registry, not written down.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROLES } from "../../../infra/azure/roles.ts";
import { INFRA_DIR, type InfraPlan, planInfra, stackPlaceholder } from "../../../infra/plan.ts";
import { declareEnvironment } from "../../../infra/program.ts";
import { placeholderImage, readProject } from "../../../infra/project.ts";
import { parseStackSettings } from "../../../infra/settings.ts";
import { Topology } from "../../../shared/topology/index.ts";
import { EXAMPLES_DIR, REPO_ROOT } from "../router-config/example-project.ts";
import { named, ofType, routerConfigs } from "./plan-support.ts";

const topology = Topology.parse(parse(readFileSync(join(EXAMPLES_DIR, "topology.yaml"), "utf8")));
const cloudEnvironments = topology.environments.filter((e) => e.cloud !== "local");
const routersIn = (env: string) => topology.routers.filter((r) => r.environment === env);
const envOf = (id: string) => topology.routers.find((r) => r.id === id)!.environment;
const cloudOf = (env: string) => topology.environments.find((e) => e.name === env)!.cloud;

/** As a deployment configures it: each stack admits the other cloud's egress range. */
const PEER_RANGE = "203.0.113.0/24";
/** As a deployment configures it: the router image pushed to the team's registry, by digest. */
const ROUTER_IMAGE = `registry.example/amqp-mesh-router@sha256:${"cd".repeat(32)}`;
let plan: InfraPlan;
beforeAll(async () => {
  plan = await planInfra(EXAMPLES_DIR, {
    settings: Object.fromEntries(
      cloudEnvironments.map((e) => [
        e.name,
        { peerEgressCidrs: [PEER_RANGE], images: { [topology.flavour]: ROUTER_IMAGE } },
      ]),
    ),
  });
}, 240_000);

describe("infra programs on the example project", { timeout: 120_000 }, () => {
  it("plans every cloud environment of the topology as its own stack", () => {
    expect(plan.environments.map((e) => [e.name, e.cloud, e.region])).toEqual(
      cloudEnvironments.map((e) => [e.name, e.cloud, e.region]),
    );
  });

  it("runs one Fargate service or Container App per router, one replica each", () => {
    for (const env of cloudEnvironments) {
      const ids = routersIn(env.name)
        .map((r) => r.id)
        .sort();
      if (env.cloud === "aws") {
        const services = ofType(plan, "aws:ecs/service:Service", env.name);
        expect(services.map((s) => s.inputs.name).sort()).toEqual(ids);
        for (const s of services) {
          expect(s.inputs.desiredCount).toBe(1);
          expect(s.inputs.deploymentMaximumPercent).toBe(100);
        }
      } else {
        const apps = ofType(plan, "azure-native:app:ContainerApp", env.name);
        expect(apps.map((a) => a.inputs.containerAppName).sort()).toEqual(ids);
        for (const a of apps)
          expect((a.inputs.template as { scale: unknown }).scale).toEqual({
            minReplicas: 1,
            maxReplicas: 1,
          });
      }
    }
  });

  it("puts the two interiors of an AWS environment in different zones; Azure's environment is zone-redundant", () => {
    for (const env of cloudEnvironments) {
      const interiors = routersIn(env.name).filter((r) => r.mode === "interior");
      expect(interiors.length).toBeGreaterThanOrEqual(2);
      if (env.cloud === "aws") {
        const zoneOf = new Map(
          ofType(plan, "aws:ec2/subnet:Subnet", env.name).map((s) => [
            `${s.name}-id`,
            s.inputs.availabilityZone,
          ]),
        );
        const zones = interiors.map((r) => {
          const service = ofType(plan, "aws:ecs/service:Service", env.name).find(
            (s) => s.inputs.name === r.id,
          )!;
          const subnets = (service.inputs.networkConfiguration as { subnets: string[] }).subnets;
          expect(subnets).toHaveLength(1);
          return zoneOf.get(subnets[0]!);
        });
        expect(zones.every((z) => typeof z === "string")).toBe(true);
        expect(new Set(zones).size).toBe(interiors.length);
      } else {
        const [environment] = ofType(plan, "azure-native:app:ManagedEnvironment", env.name);
        expect(environment?.inputs.zoneRedundant).toBe(true);
      }
    }
  });

  it("gives every listener of every router TLS and authentication (all are reachable from outside the container)", () => {
    const configs = routerConfigs(plan);
    expect([...configs.keys()].sort()).toEqual(
      topology.routers
        .filter((r) => cloudOf(r.environment) !== "local")
        .map((r) => r.id)
        .sort(),
    );
    for (const [id, config] of configs) {
      const router = topology.routers.find((r) => r.id === id)!;
      expect(config.listeners.map((l) => l.port).sort()).toEqual(
        Object.values(router.listeners)
          .map((l) => l!.port)
          .sort(),
      );
      for (const listener of config.listeners) {
        expect(listener.requireSsl, `${id} ${listener.role}`).toBe(true);
        expect(listener.authenticatePeer, `${id} ${listener.role}`).toBe(true);
        expect(listener.saslMechanisms, `${id} ${listener.role}`).not.toMatch(/ANONYMOUS/);
      }
    }
  });

  it("opens nothing to 0.0.0.0/0: security group ingress and Container Apps ingress name their sources", () => {
    const rules = ofType(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(rule.inputs.cidrIpv4, rule.name).not.toBe("0.0.0.0/0");
      expect(rule.inputs.cidrIpv6, rule.name).toBeUndefined();
      expect(
        rule.inputs.cidrIpv4 ?? rule.inputs.referencedSecurityGroupId,
        rule.name,
      ).toBeDefined();
    }
    for (const group of ofType(plan, "aws:ec2/securityGroup:SecurityGroup"))
      expect(group.inputs.ingress, group.name).toBeUndefined();
    for (const app of ofType(plan, "azure-native:app:ContainerApp")) {
      const ingress = (app.inputs.configuration as { ingress: Record<string, unknown> }).ingress;
      const restrictions = (ingress.ipSecurityRestrictions ?? []) as { ipAddressRange: string }[];
      expect(restrictions.map((r) => r.ipAddressRange)).not.toContain("0.0.0.0/0");
      const external = [
        ingress,
        ...((ingress.additionalPortMappings ?? []) as Record<string, unknown>[]),
      ].some((p) => p.external === true);
      if (external) expect(restrictions.length, app.name).toBeGreaterThan(0);
    }
    // The HTTP API is the only public entry, and it has exactly the ingress route.
    expect(ofType(plan, "aws:apigatewayv2/route:Route").map((r) => r.inputs.routeKey)).toEqual(
      cloudEnvironments
        .filter((e) => e.cloud === "aws")
        .map(() => "POST /channels/{channel}/messages"),
    );
  });

  it("keeps the registry bucket and container private, encrypted and versioned", () => {
    for (const env of cloudEnvironments.filter((e) => e.cloud === "aws")) {
      const [bucket] = ofType(plan, "aws:s3/bucket:Bucket", env.name);
      const bucketId = `${bucket!.name}-id`;
      const about = (type: string) =>
        ofType(plan, type, env.name).filter((r) => r.inputs.bucket === bucketId);
      const [block] = about("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
      expect(block?.inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      const [encryption] = about(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      );
      expect(JSON.stringify(encryption?.inputs.rules)).toMatch(/"sseAlgorithm":"aws:kms"/);
      const [versioning] = about("aws:s3/bucketVersioning:BucketVersioning");
      expect(versioning?.inputs.versioningConfiguration).toEqual({ status: "Enabled" });
      const [notification] = about("aws:s3/bucketNotification:BucketNotification");
      expect(notification?.inputs.eventbridge).toBe(true);
    }
    for (const env of cloudEnvironments.filter((e) => e.cloud === "azure")) {
      for (const account of ofType(plan, "azure-native:storage:StorageAccount", env.name))
        expect(account.inputs).toMatchObject({
          allowBlobPublicAccess: false,
          minimumTlsVersion: "TLS1_2",
          enableHttpsTrafficOnly: true,
        });
      const [versioning] = ofType(plan, "azure-native:storage:BlobServiceProperties", env.name);
      expect(versioning?.inputs.isVersioningEnabled).toBe(true);
      for (const container of ofType(plan, "azure-native:storage:BlobContainer", env.name))
        expect(container.inputs.publicAccess).toBe("None");
    }
  });

  it("wires the registry's change event to config-sync: the EventBridge rule and the Event Grid subscription", () => {
    for (const env of cloudEnvironments.filter((e) => e.cloud === "aws")) {
      const [bucket] = ofType(plan, "aws:s3/bucket:Bucket", env.name);
      const rules = ofType(plan, "aws:cloudwatch/eventRule:EventRule", env.name);
      const change = rules.find((r) => r.inputs.eventPattern !== undefined)!;
      expect(JSON.parse(change.inputs.eventPattern as string)).toEqual({
        source: ["aws.s3"],
        "detail-type": ["Object Created"],
        detail: {
          bucket: { name: [bucket!.name] },
          object: { key: [{ prefix: "registry/" }, "topology.yaml"] },
        },
      });
      const sync = ofType(plan, "aws:lambda/function:Function", env.name).find((f) =>
        String((f.inputs.code as { archive: string }).archive).endsWith("/aws/sync"),
      )!;
      expect(sync).toBeDefined();
      const targets = ofType(plan, "aws:cloudwatch/eventTarget:EventTarget", env.name);
      for (const rule of rules) {
        const target = targets.find((t) => t.inputs.rule === rule.name);
        expect(target?.inputs.arn, rule.name).toBe(`arn:aws:lambda:mock:000000000000:${sync.name}`);
        const permission = ofType(plan, "aws:lambda/permission:Permission", env.name).find(
          (p) => p.inputs.sourceArn === `arn:aws:cloudwatch:mock:000000000000:${rule.name}`,
        );
        expect(permission?.inputs.principal, rule.name).toBe("events.amazonaws.com");
      }
    }
    const registered = /app\.eventGrid\("([^"]+)"/.exec(
      readFileSync(join(REPO_ROOT, "functions/azure/sync/index.ts"), "utf8"),
    )?.[1];
    for (const env of cloudEnvironments.filter((e) => e.cloud === "azure")) {
      const [subscription] = ofType(
        plan,
        "azure-native:eventgrid:SystemTopicEventSubscription",
        env.name,
      );
      const [container] = ofType(plan, "azure-native:storage:BlobContainer", env.name).filter(
        (c) => !String(c.inputs.containerName).endsWith("-package"),
      );
      // (the provider adds its default isSubjectCaseSensitive: false); config-sync's own
      // publication (published/) is filtered out before it reaches the function.
      const blobs = `/blobServices/default/containers/${container!.inputs.containerName}/blobs/`;
      expect(subscription?.inputs.filter).toEqual({
        includedEventTypes: ["Microsoft.Storage.BlobCreated"],
        isSubjectCaseSensitive: false,
        subjectBeginsWith: blobs,
        advancedFilters: [
          { key: "subject", operatorType: "StringNotBeginsWith", values: [`${blobs}published/`] },
        ],
      });
      const destination = subscription?.inputs.destination as {
        endpointType: string;
        resourceId: string;
      };
      expect(destination.endpointType).toBe("AzureFunction");
      expect(destination.resourceId).toMatch(
        new RegExp(`/${env.name}-config-sync/functions/${registered}$`),
      );
    }
  });

  it("the ingress reads the registry config-sync publishes, and only that: the store and key in its environment, read access to published/ alone", () => {
    for (const env of cloudEnvironments.filter((e) => e.cloud === "aws")) {
      const [bucket] = ofType(plan, "aws:s3/bucket:Bucket", env.name);
      // (the functions' environments hold their passwords: the plan shows them as secrets)
      const statementsOf = (fn: string) =>
        ofType(plan, "aws:iam/rolePolicy:RolePolicy", env.name)
          .filter((p) => p.name === `${fn}-data`)
          .flatMap(
            (p) =>
              JSON.parse(p.inputs.policy as string).Statement as {
                Action: string[];
                Resource: string[];
              }[],
          );
      const bucketArn = `arn:aws:s3:mock:000000000000:${bucket!.name}`;
      const [ingressSecret, edgeCa] = secretsOf(`${env.name}-ingress`, env.name);
      expect(statementsOf(`${env.name}-ingress`)).toEqual([
        { Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${bucketArn}/published/*`] },
        { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [ingressSecret] },
        // The routers' CA (router-ca.test.ts).
        { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [edgeCa] },
      ]);
      const puts = statementsOf(`${env.name}-config-sync`).find((s) =>
        s.Action.includes("s3:PutObject"),
      );
      expect(puts?.Resource).toContain(`${bucketArn}/published/registry-snapshot.json`);
    }
    for (const env of cloudEnvironments.filter((e) => e.cloud === "azure")) {
      const settings = appSettings(`${env.name}-ingress`);
      expect(settings.get("REGISTRY_BLOB_CONTAINER")).toBe("registry");
      expect(settings.get("REGISTRY_SNAPSHOT_KEY")).toBe("published/registry-snapshot.json");
      // Its identity reads that one blob: a reader role on the container, conditioned on the path.
      const identity = named(
        plan,
        "azure-native:managedidentity:UserAssignedIdentity",
        `${env.name}-ingress-identity`,
      );
      expectIdentityBlobAccess(settings, "REGISTRY_BLOB", env.name, identity.name);
      const grants = containerRoles(env.name).filter(
        (a) => a.inputs.principalId === `${identity.name}-principal`,
      );
      expect(grants.map((a) => [a.inputs.roleDefinitionId, a.inputs.conditionVersion])).toEqual([
        [roleDefinition(ROLES.storageBlobDataReader), "2.0"],
      ]);
      expect(grants[0]!.inputs.condition).toBe(
        "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path] StringEquals 'published/registry-snapshot.json'))",
      );
    }
  });

  it("gives the functions their mesh passwords from the clouds' secret stores, each readable by its function alone", () => {
    for (const env of cloudEnvironments.filter((e) => e.cloud === "aws")) {
      const secrets = ofType(plan, "aws:secretsmanager/secret:Secret", env.name);
      for (const fn of [`${env.name}-ingress`, `${env.name}-config-sync`]) {
        const lambda = named(plan, "aws:lambda/function:Function", fn);
        const variables = (lambda.inputs.environment as { variables: Record<string, string> })
          .variables;
        // No password among the function's variables: the ARN of a secret this stack declares.
        expect(variables.MESH_SASL_PASSWORD, fn).toBeUndefined();
        const arn = variables.MESH_SASL_PASSWORD_SECRET;
        const secret = secrets.find(
          (s) => arn === `arn:aws:secretsmanager:mock:000000000000:${s.name}`,
        );
        expect(secret, `${fn}: ${arn}`).toBeDefined();
        expect(secret!.inputs.name).toBe(
          `amqp-mesh/${env.name}/${variables.MESH_SASL_USERNAME}-password`,
        );
        // Its role reads exactly that secret (and the routers' CA: router-ca.test.ts); no other
        // role of the stack reads it.
        expect(secretsOf(fn, env.name).filter((s) => !s.endsWith("-ca"))).toEqual([arn]);
        for (const other of ofType(plan, "aws:iam/rolePolicy:RolePolicy", env.name).filter(
          (p) => p.name !== `${fn}-data`,
        ))
          expect(String(other.inputs.policy), other.name).not.toContain(arn);
        // The stack config's value is the secret's version, and only as a secret.
        const [version] = ofType(
          plan,
          "aws:secretsmanager/secretVersion:SecretVersion",
          env.name,
        ).filter((v) => v.name === secret!.name);
        expect(version?.inputs.secretString).toBe("[secret]");
      }
    }
    for (const env of cloudEnvironments.filter((e) => e.cloud === "azure")) {
      const vault = ofType(plan, "azure-native:keyvault:Vault", env.name)[0]!;
      for (const [fn, secret] of [
        ["ingress", "ingress-password"],
        ["config-sync", "config-sync-password"],
      ] as const) {
        // A Key Vault reference the platform resolves with the app's identity.
        expect(appSettings(`${env.name}-${fn}`).get("MESH_SASL_PASSWORD")).toBe(
          `@Microsoft.KeyVault(SecretUri=https://${vault.name}.vault.mock/secrets/${secret})`,
        );
        const identity = `${env.name}-${fn}-identity`;
        const reads = ofType(plan, "azure-native:authorization:RoleAssignment", env.name).filter(
          (a) =>
            a.inputs.roleDefinitionId === roleDefinition(ROLES.keyVaultSecretsUser) &&
            String(a.inputs.scope).endsWith(`/secrets/${secret}`),
        );
        expect(reads.map((a) => a.inputs.principalId)).toEqual([`${identity}-principal`]);
        // The secret is declared in the stack (a placeholder the runbook fills, its value kept
        // out of Pulumi): a role assignment needs its scope to exist.
        const declared = ofType(plan, "azure-native:keyvault:Secret", env.name).filter(
          (x) => x.inputs.secretName === secret,
        );
        expect(declared, secret).toHaveLength(1);
        expect(JSON.stringify(declared[0]!.inputs.properties)).toContain("[secret]");
        expect(String(reads[0]!.inputs.scope)).toMatch(
          new RegExp(`/vaults/${String(declared[0]!.inputs.vaultName)}/secrets/${secret}$`),
        );
      }
    }
  });

  it("lets Azure config-sync reach the registry with its identity: no key, no connection string in any setting", () => {
    for (const env of cloudEnvironments.filter((e) => e.cloud === "azure")) {
      const identity = `${env.name}-config-sync-identity`;
      expectIdentityBlobAccess(
        appSettings(`${env.name}-config-sync`),
        "SYNC_BLOB",
        env.name,
        identity,
      );
      const grants = containerRoles(env.name).filter(
        (a) => a.inputs.principalId === `${identity}-principal`,
      );
      expect(grants.map((a) => [a.inputs.roleDefinitionId, a.inputs.condition])).toEqual([
        [roleDefinition(ROLES.storageBlobDataContributor), undefined],
      ]);
      for (const app of ofType(plan, "azure-native:web:WebApp", env.name))
        for (const name of appSettings(app.name).keys())
          expect(name, app.name).not.toMatch(/CONNECTION_STRING/);
      // Shared-key access off on both accounts: a leaked key or account SAS opens nothing.
      for (const account of ofType(plan, "azure-native:storage:StorageAccount", env.name))
        expect(account.inputs.allowSharedKeyAccess, account.name).toBe(false);
    }
  });

  it("lets each role read and write exactly its resources: no '*' resource or action for data", () => {
    const declaredArns = plan.resources.map(
      (r) => `arn:aws:${r.type.split(":")[1]?.split("/")[0]}:mock:000000000000:${r.name}`,
    );
    const policies = ofType(plan, "aws:iam/rolePolicy:RolePolicy");
    expect(policies.length).toBeGreaterThan(0);
    for (const policy of policies) {
      const statements = JSON.parse(policy.inputs.policy as string).Statement as {
        Effect: string;
        Action: string[];
        Resource: string[];
      }[];
      for (const statement of statements.filter((s) => s.Effect === "Allow")) {
        for (const action of statement.Action) expect(action, policy.name).not.toMatch(/\*/);
        for (const resource of statement.Resource) {
          expect(resource, policy.name).not.toBe("*");
          // Every resource is (inside) one this stack declares.
          expect(
            declaredArns.some(
              (arn) =>
                resource === arn ||
                resource.startsWith(`${arn}/`) ||
                resource.startsWith(`${arn}:`),
            ),
            `${policy.name}: ${resource}`,
          ).toBe(true);
        }
      }
    }
    const assignments = ofType(plan, "azure-native:authorization:RoleAssignment");
    expect(assignments.length).toBeGreaterThan(0);
    for (const assignment of assignments) {
      const scope = String(assignment.inputs.scope);
      // A secret, a container or the functions' own host account: never a subscription or resource group.
      expect(scope, assignment.name).toMatch(
        /\/(vaults\/[^/]+\/secrets\/[a-z0-9-]+|blobServices\/default\/containers\/[a-z0-9-]+|storageAccounts\/[a-z0-9]+fn)$/,
      );
    }
  });

  it("runs the router image the stack's config names, pinned; without one the plan shows a placeholder and `pulumi up` stops, saying what to set", async () => {
    for (const [id, config] of routerConfigs(plan)) expect(config.image, id).toBe(ROUTER_IMAGE);
    const unset = await planInfra(EXAMPLES_DIR, { cloud: "azure" });
    const key = `amqp-mesh:images.${topology.flavour}`;
    for (const config of routerConfigs(unset).values())
      expect(config.image).toBe(placeholderImage(topology.flavour));
    for (const env of unset.environments)
      expect(env.warnings.some((w) => w.startsWith(`${key} is not set`))).toBe(true);
    // What `pulumi up` runs: the program refuses to deploy without the image.
    const project = await readProject(EXAMPLES_DIR);
    const [azure] = cloudEnvironments.filter((e) => e.cloud === "azure");
    expect(() =>
      declareEnvironment({
        project,
        environment: azure!.name,
        settings: parseStackSettings({}, "test"),
        infraDir: INFRA_DIR,
      }),
    ).toThrow(
      new RegExp(
        `${key.replace(/[.]/g, "\\.")} is not set: .*pulumi config set --path '${key.replace(/[.]/g, "\\.")}'`,
      ),
    );
    // A mutable reference is refused where it is configured.
    for (const image of ["registry.example/router:latest", "registry.example/router", "Router:1"])
      expect(() =>
        parseStackSettings({ images: { [topology.flavour]: image } }, "stack t"),
      ).toThrow(new RegExp(`amqp-mesh:images\\.${topology.flavour}: an image reference pinned`));
  });

  it("sets log retention on every log group and workspace, and every container logs to one", () => {
    const groups = ofType(plan, "aws:cloudwatch/logGroup:LogGroup");
    for (const group of groups) expect(group.inputs.retentionInDays, group.name).toBeGreaterThan(0);
    const groupNames = new Set(groups.map((g) => g.inputs.name));
    for (const task of ofType(plan, "aws:ecs/taskDefinition:TaskDefinition")) {
      const [container] = JSON.parse(task.inputs.containerDefinitions as string);
      expect(container.logConfiguration.logDriver).toBe("awslogs");
      expect(groupNames.has(container.logConfiguration.options["awslogs-group"]), task.name).toBe(
        true,
      );
    }
    for (const workspace of ofType(plan, "azure-native:operationalinsights:Workspace"))
      expect(workspace.inputs.retentionInDays).toBeGreaterThan(0);
  });

  it("gives the cross-cloud connectors the topology's link costs, to the other stack's endpoints", async () => {
    const crossCloud = topology.links.filter((l) => envOf(l.from) !== envOf(l.to));
    expect(crossCloud.length).toBeGreaterThan(0);
    const configs = routerConfigs(plan);
    for (const link of crossCloud) {
      const target = topology.routers.find((r) => r.id === link.to)!;
      const connector = configs
        .get(link.from)
        ?.connectors.find(
          (c) =>
            c.role === "inter-router" && c.host === stackPlaceholder(target.environment, target.id),
        );
      expect(connector, `${link.from} → ${link.to}`).toBeDefined();
      expect(connector?.cost).toBe(link.cost);
      expect(connector?.port).toBe(target.listeners.interRouter!.port);
      expect(connector?.tls).toBe(true);
    }
    // With the peer's name in the stack config, the connector dials it.
    const [link] = crossCloud;
    const fromEnv = envOf(link!.from);
    const withConfig = await planInfra(EXAMPLES_DIR, {
      cloud: cloudOf(fromEnv) as "aws" | "azure",
      settings: { [fromEnv]: { peerEndpoints: { [link!.to]: "peer.example.net" } } },
    });
    const connector = routerConfigs(withConfig)
      .get(link!.from)
      ?.connectors.find((c) => c.host === "peer.example.net");
    expect(connector?.cost).toBe(link!.cost);
    // and the interiors the other cloud dials face it through the internet-facing NLB, admitting only its ranges
    const facing = topology.routers.filter((r) =>
      crossCloud.some((l) => l.to === r.id && cloudOf(r.environment) === "aws"),
    );
    if (facing.length > 0) {
      const env = facing[0]!.environment;
      const cidrs = ["203.0.113.0/24"];
      const admitted = await planInfra(EXAMPLES_DIR, {
        cloud: "aws",
        settings: { [env]: { peerEgressCidrs: cidrs } },
      });
      const fromPeer = ofType(
        admitted,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
      ).filter((r) => r.inputs.cidrIpv4 !== undefined);
      expect(fromPeer.map((r) => [r.inputs.fromPort, r.inputs.cidrIpv4]).sort()).toEqual(
        facing.map((r) => [r.listeners.interRouter!.port, cidrs[0]]).sort(),
      );
      expect(
        named(admitted, "aws:lb/loadBalancer:LoadBalancer", `${env}-external`).inputs.internal,
      ).toBe(false);
    }
  });
});

/** The inputs of an Azure app's settings, by name. */
function appSettings(app: string): Map<string, string> {
  const site = named(plan, "azure-native:web:WebApp", app);
  return new Map(
    (site.inputs.siteConfig as { appSettings: { name: string; value: string }[] }).appSettings.map(
      (s) => [s.name, s.value],
    ),
  );
}

/** The ARNs of the Secrets Manager secrets a function's role may read. */
function secretsOf(fn: string, env: string): string[] {
  return ofType(plan, "aws:iam/rolePolicy:RolePolicy", env)
    .filter((p) => p.name === `${fn}-data`)
    .flatMap(
      (p) =>
        JSON.parse(p.inputs.policy as string).Statement as {
          Action: string[];
          Resource: string[];
        }[],
    )
    .filter((s) => s.Action.includes("secretsmanager:GetSecretValue"))
    .flatMap((s) => s.Resource);
}

const roleDefinition = (id: string) =>
  `/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/${id}`;

/** Role assignments of an environment scoped to its registry container. */
function containerRoles(env: string) {
  const { inputs } = named(plan, "azure-native:storage:BlobContainer", `${env}-registry`);
  const scope = `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${String(inputs.resourceGroupName)}/providers/Microsoft.Storage/storageAccounts/${String(inputs.accountName)}/blobServices/default/containers/registry`;
  return ofType(plan, "azure-native:authorization:RoleAssignment", env).filter(
    (a) => a.inputs.scope === scope,
  );
}

/** `<name>__blobServiceUri/__credential/__clientId`: the registry account, the app's own identity. */
function expectIdentityBlobAccess(
  settings: Map<string, string>,
  name: string,
  env: string,
  identity: string,
): void {
  const container = named(plan, "azure-native:storage:BlobContainer", `${env}-registry`);
  expect(settings.get(`${name}__blobServiceUri`)).toBe(
    `https://${String(container.inputs.accountName)}.blob.mock/`,
  );
  expect(settings.get(`${name}__credential`)).toBe("managedidentity");
  expect(settings.get(`${name}__clientId`)).toBe(`${identity}-client`);
  expect(settings.has(`${name}_CONNECTION_STRING`)).toBe(false);
}
