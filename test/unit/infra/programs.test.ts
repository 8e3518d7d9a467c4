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
import { type InfraPlan, planInfra, stackPlaceholder } from "../../../infra/plan.ts";
import { ROUTER_IMAGES } from "../../../shared/router-config/index.ts";
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
let plan: InfraPlan;
beforeAll(async () => {
  plan = await planInfra(EXAMPLES_DIR, {
    settings: Object.fromEntries(
      cloudEnvironments.map((e) => [e.name, { peerEgressCidrs: [PEER_RANGE] }]),
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
      readFileSync(join(REPO_ROOT, "functions/azure/sync-app.ts"), "utf8"),
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
      expect(statementsOf(`${env.name}-ingress`)).toEqual([
        { Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${bucketArn}/published/*`] },
      ]);
      const puts = statementsOf(`${env.name}-config-sync`).find((s) =>
        s.Action.includes("s3:PutObject"),
      );
      expect(puts?.Resource).toContain(`${bucketArn}/published/registry-snapshot.json`);
    }
    for (const env of cloudEnvironments.filter((e) => e.cloud === "azure")) {
      const apps = ofType(plan, "azure-native:web:WebApp", env.name);
      const ingress = apps.find((a) => a.name === `${env.name}-ingress`)!;
      const settings = new Map(
        (
          ingress.inputs.siteConfig as { appSettings: { name: string; value: string }[] }
        ).appSettings.map((s) => [s.name, s.value]),
      );
      expect(settings.get("REGISTRY_BLOB_CONTAINER")).toBe("registry");
      expect(settings.get("REGISTRY_SNAPSHOT_KEY")).toBe("published/registry-snapshot.json");
      // A Key Vault reference (a SAS for that one blob), never a value in the app settings.
      expect(settings.get("REGISTRY_BLOB_CONNECTION_STRING")).toMatch(
        /^@Microsoft\.KeyVault\(SecretUri=.*secrets\/registry-snapshot-connection-string\)$/,
      );
      // The ingress's identity holds no role on the registry container: it reads with the SAS.
      const containerScoped = ofType(plan, "azure-native:authorization:RoleAssignment", env.name)
        .filter((a) => String(a.inputs.scope).includes("/containers/registry"))
        .map((a) => a.name);
      expect(
        containerScoped.every((name) => !name.includes("-ingress-")),
        String(containerScoped),
      ).toBe(true);
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

  it("runs pinned router images, the topology's flavour by default and a stack's override", async () => {
    const pinned =
      /^[a-z0-9.-]+(\/[a-z0-9._-]+)+(:(?!latest$)[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$/;
    for (const [id, config] of routerConfigs(plan)) {
      expect(config.image, id).toMatch(pinned);
      expect(config.image, id).toBe(ROUTER_IMAGES[topology.flavour]);
    }
    const image = `registry.example/skupper-router@sha256:${"ab".repeat(32)}`;
    const overridden = await planInfra(EXAMPLES_DIR, {
      cloud: "azure",
      settings: { "azure-we": { images: { [topology.flavour]: image } } },
    });
    for (const config of routerConfigs(overridden).values()) expect(config.image).toBe(image);
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
