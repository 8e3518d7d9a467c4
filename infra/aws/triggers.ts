/**
 * The team triggers of an AWS environment, bridge mode: per trigger its Lambda (the bundle of
 * its name; nodejs24.x, arm64, in the VPC, reading the published registry and its principal's
 * password secret) and its bridge — a Fargate service (one task) running the bridge image
 * next to the edge routers, consuming the trigger's channel as the trigger's principal and
 * invoking exactly that Lambda. The bridge's password reaches it from Secrets Manager as an
 * ECS secret (`valueFrom`), with the CA it verifies the edge routers with: its execution role
 * reads exactly those two secrets, its task role may invoke exactly that function.
 */

import * as cloudwatch from "@pulumi/aws/cloudwatch/index.js";
import * as ecs from "@pulumi/aws/ecs/index.js";
import * as iam from "@pulumi/aws/iam/index.js";
import * as lambda from "@pulumi/aws/lambda/index.js";
import type * as secretsmanager from "@pulumi/aws/secretsmanager/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { StackSettings } from "../settings.ts";
import type { TeamTrigger } from "../triggers.ts";
import { functionRole, loginSecret, readsSecret } from "./functions.ts";
import { ecrPullStatements } from "./image-pull.ts";
import type { AwsNetwork } from "./network.ts";
import type { AwsRegistryStore } from "./registry-store.ts";
import type { AwsSecurityGroups } from "./security-groups.ts";

export interface AwsTriggers {
  functions: Record<string, lambda.Function>;
  bridges: Record<string, ecs.Service>;
}

const assumedBy = (service: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });

export function awsTriggers(
  env: string,
  region: string,
  triggers: TeamTrigger[],
  bridgeImage: string,
  bundles: (name: string) => string,
  cluster: ecs.Cluster,
  network: AwsNetwork,
  groups: AwsSecurityGroups,
  store: AwsRegistryStore,
  edgeUrls: pulumi.Output<string>[],
  /** The CA of the edge routers' client listeners (PEM), which the bridges verify them with. */
  edgeCaOf: () => secretsmanager.Secret,
  settings: StackSettings,
  opts: pulumi.CustomResourceOptions,
): AwsTriggers {
  const meshUrls = pulumi.all(edgeUrls).apply((urls) => urls.join(","));
  const prefix = settings.registryPrefix;
  const snapshotKey = `${prefix}published/registry-snapshot.json`;
  // One secret per principal, however many triggers log in as it.
  const secrets = new Map<string, secretsmanager.Secret>();
  const secretOf = (principal: string) => {
    let secret = secrets.get(principal);
    if (secret === undefined) {
      secret = loginSecret(env, principal, undefined, opts);
      secrets.set(principal, secret);
    }
    return secret;
  };
  const result: AwsTriggers = { functions: {}, bridges: {} };
  if (triggers.length === 0) return result;
  const edgeCa = edgeCaOf();
  for (const trigger of triggers) {
    const name = `${env}-${trigger.name}`;
    const secret = secretOf(trigger.principal);
    new cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/aws/lambda/${name}`, retentionInDays: settings.logRetentionDays },
      opts,
    );
    const fn = new lambda.Function(
      name,
      {
        name,
        runtime: "nodejs24.x",
        architectures: ["arm64"],
        handler: "index.handler",
        code: new pulumi.asset.FileArchive(bundles(trigger.name)),
        role: functionRole(
          name,
          [
            {
              Effect: "Allow",
              Action: ["s3:GetObject"],
              Resource: [pulumi.interpolate`${store.bucket.arn}/${prefix}published/*`],
            },
            readsSecret(secret),
            readsSecret(edgeCa),
          ],
          opts,
        ).arn,
        memorySize: 512,
        timeout: 60,
        vpcConfig: {
          subnetIds: network.privateSubnetIds,
          securityGroupIds: [groups.meshClients.id],
        },
        environment: {
          variables: {
            MESH_URLS: meshUrls,
            MESH_SASL_USERNAME: trigger.principal,
            MESH_SASL_PASSWORD_SECRET: secret.arn,
            MESH_TLS_CA_SECRET: edgeCa.arn,
            REGISTRY_BUCKET: store.bucket.bucket,
            REGISTRY_SNAPSHOT_KEY: snapshotKey,
          },
        },
      },
      opts,
    );
    result.functions[trigger.name] = fn;

    const bridge = `${name}-bridge`;
    const logGroup = new cloudwatch.LogGroup(
      `${bridge}-logs`,
      {
        name: `/amqp-mesh/${env}/bridge-${trigger.name}`,
        retentionInDays: settings.logRetentionDays,
      },
      opts,
    );
    const executionRole = new iam.Role(
      `${bridge}-execution`,
      { assumeRolePolicy: assumedBy("ecs-tasks.amazonaws.com") },
      opts,
    );
    new iam.RolePolicy(
      `${bridge}-execution`,
      {
        role: executionRole.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            readsSecret(secret),
            readsSecret(edgeCa),
            {
              Effect: "Allow",
              Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
              Resource: [pulumi.interpolate`${logGroup.arn}:log-stream:bridge/*`],
            },
            ...ecrPullStatements([bridgeImage]),
          ],
        }),
      },
      opts,
    );
    const taskRole = new iam.Role(
      `${bridge}-task`,
      { assumeRolePolicy: assumedBy("ecs-tasks.amazonaws.com") },
      opts,
    );
    new iam.RolePolicy(
      `${bridge}-invoke`,
      {
        role: taskRole.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [fn.arn] }],
        }),
      },
      opts,
    );
    const taskDefinition = new ecs.TaskDefinition(
      `${bridge}-task`,
      {
        family: `amqp-mesh-${bridge}`,
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: "256",
        memory: "512",
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
        executionRoleArn: executionRole.arn,
        taskRoleArn: taskRole.arn,
        containerDefinitions: pulumi
          .all([meshUrls, fn.name, secret.arn, edgeCa.arn, logGroup.name])
          .apply(([urls, functionName, secretArn, caArn, logName]) =>
            JSON.stringify([
              {
                name: "bridge",
                image: bridgeImage,
                essential: true,
                // infra/bridge/entrypoint.sh: settings from the environment only.
                environment: Object.entries({
                  MESH_BRIDGE_CHANNEL: trigger.channel,
                  MESH_BRIDGE_LAMBDA: functionName,
                  MESH_URLS: urls,
                  MESH_SASL_USERNAME: trigger.principal,
                  AWS_REGION: region,
                }).map(([variable, value]) => ({ name: variable, value })),
                secrets: [
                  { name: "MESH_SASL_PASSWORD", valueFrom: secretArn },
                  { name: "MESH_TLS_CA", valueFrom: caArn },
                ],
                stopTimeout: 60,
                logConfiguration: {
                  logDriver: "awslogs",
                  options: {
                    "awslogs-group": logName,
                    "awslogs-region": region,
                    "awslogs-stream-prefix": "bridge",
                  },
                },
              },
            ]),
          ),
      },
      opts,
    );
    result.bridges[trigger.name] = new ecs.Service(
      `${bridge}-service`,
      {
        name: bridge,
        cluster: cluster.arn,
        taskDefinition: taskDefinition.arn,
        launchType: "FARGATE",
        desiredCount: 1,
        networkConfiguration: {
          subnets: network.privateSubnetIds,
          // The functions' group: what the edge routers' client listeners admit.
          securityGroups: [groups.meshClients.id],
          assignPublicIp: false,
        },
        propagateTags: "SERVICE",
      },
      opts,
    );
  }
  return result;
}
