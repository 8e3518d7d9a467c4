/**
 * The routers of an AWS environment: one Fargate service per router (one task at a time, a
 * stable name in Cloud Map, the interiors spread over the two zones), their secrets in Secrets
 * Manager handed to the entrypoint as variables, logs with retention, and the NLBs: internal
 * for the edge routers' client listeners the functions use, internet-facing (TLS passed
 * through) for the inter-router listeners the other cloud dials.
 */

import * as cloudwatch from "@pulumi/aws/cloudwatch/index.js";
import * as ecs from "@pulumi/aws/ecs/index.js";
import * as iam from "@pulumi/aws/iam/index.js";
import * as lb from "@pulumi/aws/lb/index.js";
import * as secretsmanager from "@pulumi/aws/secretsmanager/index.js";
import * as servicediscovery from "@pulumi/aws/servicediscovery/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { DeployedEnvironment, DeployedRouter } from "../project.ts";
import { entrypointCommand, entrypointEnvironment } from "../router/entrypoint.ts";
import type { StackSettings } from "../settings.ts";
import { ecrPullStatements } from "./image-pull.ts";
import type { AwsNetwork } from "./network.ts";
import type { AwsSecurityGroups } from "./security-groups.ts";

export interface AwsRouters {
  cluster: ecs.Cluster;
  /** Edge router id → amqps URL on the internal NLB (what functions and bridges connect to). */
  edgeUrls: Record<string, pulumi.Output<string>>;
  /** Router id → amqps URL of its client listener inside the VPC (config-sync's targets). */
  managementUrls: Record<string, string>;
  /** Interior id → the internet-facing NLB's name (the other cloud's connectors dial it). */
  interRouterHosts: Record<string, pulumi.Output<string>>;
  logGroups: cloudwatch.LogGroup[];
  /**
   * The CA certificates the routers' TLS profiles trust, each a secret of its own (a PEM
   * string, `amqp-mesh/<env>/<profile>-ca`) by its key: public, so functions and bridges may
   * read it to verify the routers without reading the environment's shared secret.
   */
  caSecrets: Record<string, secretsmanager.Secret>;
}

export function awsRouters(
  deployed: DeployedEnvironment,
  configText: (routerId: string) => pulumi.Input<string>,
  peerFacing: Set<string>,
  network: AwsNetwork,
  groups: AwsSecurityGroups,
  settings: StackSettings,
  opts: pulumi.CustomResourceOptions,
): AwsRouters {
  const env = deployed.environment.name;
  const cluster = new ecs.Cluster(
    `${env}-routers`,
    { settings: [{ name: "containerInsights", value: "enabled" }] },
    opts,
  );
  const namespace = new servicediscovery.PrivateDnsNamespace(
    `${env}-names`,
    { name: `${env}.amqp-mesh.internal`, vpc: network.vpcId },
    opts,
  );
  // Shared by the environment's routers: the CA, the SASL database, the config's env: secrets.
  const environmentSecret = new secretsmanager.Secret(
    `${env}-mesh`,
    {
      name: `amqp-mesh/${env}/mesh`,
      description: "CA certificates, SASL database (base64) and env: secrets of the routers",
    },
    opts,
  );
  const caSecrets: AwsRouters["caSecrets"] = {};
  for (const file of deployed.routers.flatMap((r) => r.files).filter((f) => f.scope === "ca"))
    caSecrets[file.key] ??= new secretsmanager.Secret(
      `${env}-${file.key}`,
      {
        name: `amqp-mesh/${env}/${file.key}`,
        description: `CA certificate(s) of the TLS profile ${file.key.replace(/-ca$/, "")} (PEM)`,
      },
      opts,
    );
  const internalNlb = new lb.LoadBalancer(
    `${env}-internal`,
    {
      loadBalancerType: "network",
      internal: true,
      subnets: network.privateSubnetIds,
      securityGroups: [groups.internalNlb.id],
    },
    opts,
  );
  const externalNlb =
    peerFacing.size > 0 && groups.externalNlb !== undefined
      ? new lb.LoadBalancer(
          `${env}-external`,
          {
            loadBalancerType: "network",
            internal: false,
            subnets: network.publicSubnetIds,
            securityGroups: [groups.externalNlb.id],
          },
          opts,
        )
      : undefined;

  const edgeUrls: AwsRouters["edgeUrls"] = {};
  const managementUrls: AwsRouters["managementUrls"] = {};
  const interRouterHosts: AwsRouters["interRouterHosts"] = {};
  const logGroups: cloudwatch.LogGroup[] = [];
  let interiorIndex = 0;
  let edgeIndex = 0;
  for (const deployedRouter of deployed.routers) {
    const { router, ports } = deployedRouter;
    const zoneIndex = router.mode === "interior" ? interiorIndex++ : edgeIndex++;
    const subnet = network.privateSubnetIds[zoneIndex % network.privateSubnetIds.length]!;
    const logGroup = new cloudwatch.LogGroup(
      `${router.id}-logs`,
      { name: `/amqp-mesh/${env}/${router.id}`, retentionInDays: settings.logRetentionDays },
      opts,
    );
    logGroups.push(logGroup);
    const routerSecret = new secretsmanager.Secret(
      `${router.id}-tls`,
      {
        name: `amqp-mesh/${env}/${router.id}`,
        description: `certificate and private key of router ${router.id}`,
      },
      opts,
    );
    const routerCas = [
      ...new Set(deployedRouter.files.filter((f) => f.scope === "ca").map((f) => f.key)),
    ].map((key) => caSecrets[key]!);
    const executionRole = taskExecutionRole(
      router.id,
      [environmentSecret, routerSecret, ...routerCas],
      logGroup,
      deployedRouter.image,
      opts,
    );
    const taskDefinition = new ecs.TaskDefinition(
      `${router.id}-task`,
      {
        family: `amqp-mesh-${router.id}`,
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: String(settings.routerCpu),
        memory: String(settings.routerMemory),
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
        executionRoleArn: executionRole.arn,
        containerDefinitions: pulumi
          .all([
            configText(router.id),
            environmentSecret.arn,
            routerSecret.arn,
            pulumi.all(
              Object.fromEntries(
                Object.entries(caSecrets).map(([key, secret]) => [key, secret.arn]),
              ),
            ),
            logGroup.name,
          ])
          .apply(([config, envArn, routerArn, caArns, logName]) =>
            JSON.stringify([
              routerContainer(
                deployedRouter,
                config,
                { environment: envArn, router: routerArn, ca: caArns },
                logName,
                deployed,
                settings,
              ),
            ]),
          ),
      },
      opts,
    );
    const discovery = new servicediscovery.Service(
      `${router.id}-name`,
      {
        name: router.id,
        namespaceId: namespace.id,
        dnsConfig: {
          namespaceId: namespace.id,
          dnsRecords: [{ type: "A", ttl: 10 }],
          routingPolicy: "MULTIVALUE",
        },
        healthCheckCustomConfig: { failureThreshold: 1 },
      },
      opts,
    );
    const loadBalancers: ecs.ServiceArgs["loadBalancers"] = [];
    const targetGroup = (suffix: string, port: number) =>
      new lb.TargetGroup(
        `${router.id}-${suffix}`,
        {
          port,
          protocol: "TCP",
          targetType: "ip",
          vpcId: network.vpcId,
          preserveClientIp: "true",
          healthCheck: { protocol: "TCP", port: String(port) },
        },
        opts,
      );
    if (router.mode === "edge") {
      const tg = targetGroup("clients", ports.clients!);
      new lb.Listener(
        `${router.id}-clients`,
        {
          loadBalancerArn: internalNlb.arn,
          port: ports.clients!,
          protocol: "TCP",
          defaultActions: [{ type: "forward", targetGroupArn: tg.arn }],
        },
        opts,
      );
      loadBalancers.push({
        targetGroupArn: tg.arn,
        containerName: "router",
        containerPort: ports.clients!,
      });
      edgeUrls[router.id] = pulumi.interpolate`amqps://${internalNlb.dnsName}:${ports.clients!}`;
    }
    if (externalNlb !== undefined && peerFacing.has(router.id) && ports.interRouter !== undefined) {
      const tg = targetGroup("inter-router", ports.interRouter);
      new lb.Listener(
        `${router.id}-inter-router`,
        {
          loadBalancerArn: externalNlb.arn,
          port: ports.interRouter,
          // TCP, not TLS: the routers' mutual TLS passes through to them.
          protocol: "TCP",
          defaultActions: [{ type: "forward", targetGroupArn: tg.arn }],
        },
        opts,
      );
      loadBalancers.push({
        targetGroupArn: tg.arn,
        containerName: "router",
        containerPort: ports.interRouter,
      });
      interRouterHosts[router.id] = externalNlb.dnsName;
    }
    managementUrls[router.id] = `amqps://${router.host}:${ports.clients!}`;
    new ecs.Service(
      `${router.id}-service`,
      {
        name: router.id,
        cluster: cluster.arn,
        taskDefinition: taskDefinition.arn,
        launchType: "FARGATE",
        desiredCount: 1,
        // One router of this id at a time: a replacement starts after the old task stopped.
        deploymentMaximumPercent: 100,
        deploymentMinimumHealthyPercent: 0,
        networkConfiguration: {
          subnets: [subnet],
          securityGroups: [(router.mode === "interior" ? groups.interiors : groups.edges).id],
          assignPublicIp: false,
        },
        serviceRegistries: { registryArn: discovery.arn },
        loadBalancers,
        propagateTags: "SERVICE",
      },
      opts,
    );
  }
  return { cluster, edgeUrls, managementUrls, interRouterHosts, logGroups, caSecrets };
}

function routerContainer(
  deployedRouter: DeployedRouter,
  configText: string,
  secretArns: { environment: string; router: string; ca: Record<string, string> },
  logGroupName: string,
  deployed: DeployedEnvironment,
  settings: StackSettings,
) {
  const { router, files, ports, image } = deployedRouter;
  const environment = entrypointEnvironment(deployedRouter, settings.runDir, configText);
  const secrets = [
    ...files
      .filter((f) => f.content === undefined)
      .map((f) => ({
        name: f.variable,
        // A CA secret is the PEM itself; the others hold one JSON key per file.
        valueFrom:
          f.scope === "ca"
            ? secretArns.ca[f.key]!
            : `${f.scope === "router" ? secretArns.router : secretArns.environment}:${f.key}::`,
      })),
    ...deployedRouter.secretVariables.map((name) => ({
      name,
      valueFrom: `${secretArns.environment}:${name}::`,
    })),
  ];
  return {
    name: "router",
    image,
    essential: true,
    entryPoint: [],
    command: entrypointCommand(),
    environment: Object.entries(environment).map(([name, value]) => ({ name, value })),
    secrets,
    portMappings: Object.values(ports).map((port) => ({ containerPort: port, protocol: "tcp" })),
    logConfiguration: {
      logDriver: "awslogs",
      options: {
        "awslogs-group": logGroupName,
        "awslogs-region": deployed.environment.region,
        "awslogs-stream-prefix": router.id,
      },
    },
  };
}

/** ECS reads exactly this router's secrets, writes to exactly its log group, pulls exactly its image. */
function taskExecutionRole(
  routerId: string,
  secrets: secretsmanager.Secret[],
  logGroup: cloudwatch.LogGroup,
  image: string,
  opts: pulumi.CustomResourceOptions,
): iam.Role {
  const role = new iam.Role(
    `${routerId}-execution`,
    {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "ecs-tasks.amazonaws.com" },
            Action: "sts:AssumeRole",
          },
        ],
      }),
    },
    opts,
  );
  new iam.RolePolicy(
    `${routerId}-execution`,
    {
      role: role.id,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["secretsmanager:GetSecretValue"],
            Resource: secrets.map((s) => s.arn),
          },
          {
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: [pulumi.interpolate`${logGroup.arn}:log-stream:${routerId}/*`],
          },
          ...ecrPullStatements([image]),
        ],
      }),
    },
    opts,
  );
  return role;
}
