/**
 * The functions of an AWS environment, from the bundles `npm run bundle` writes: the ingress
 * (nodejs24.x, arm64, in the routers' VPC) behind an HTTP API route
 * `POST /channels/{channel}/messages` with an optional JWT authorizer, and config-sync reading
 * the registry bucket. Config-sync publishes the registry that passed its gate under
 * `<prefix>published/`; the ingress reads it there, live (and nothing else of the bucket).
 * Each role may touch exactly the resources its function uses.
 */

import * as apigatewayv2 from "@pulumi/aws/apigatewayv2/index.js";
import * as cloudwatch from "@pulumi/aws/cloudwatch/index.js";
import * as iam from "@pulumi/aws/iam/index.js";
import * as lambda from "@pulumi/aws/lambda/index.js";
import * as secretsmanager from "@pulumi/aws/secretsmanager/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { StackSettings } from "../settings.ts";
import type { AwsNetwork } from "./network.ts";
import type { AwsRegistryStore } from "./registry-store.ts";
import type { AwsSecurityGroups } from "./security-groups.ts";

export interface AwsFunctionSecrets {
  /**
   * The ingress's mesh login password (a Pulumi secret from the stack config): written as the
   * value of its Secrets Manager secret; without it the secret is filled by hand.
   */
  ingressPassword?: pulumi.Output<string>;
  /** Config-sync's management login password, the same way. */
  syncPassword?: pulumi.Output<string>;
}

export interface AwsFunctions {
  ingress: lambda.Function;
  sync: lambda.Function;
  apiUrl: pulumi.Output<string>;
  /** The Secrets Manager secrets holding the functions' mesh passwords, by login. */
  loginSecrets: Record<string, secretsmanager.Secret>;
}

/**
 * A function's mesh password as a Secrets Manager secret `amqp-mesh/<env>/<login>-password`.
 * The function gets its ARN (MESH_SASL_PASSWORD_SECRET) and reads it once at init
 * (functions/aws/mesh-password.ts); the value is never a Lambda environment variable. With a
 * value from the stack config it becomes the secret's version (a Pulumi secret: encrypted in
 * the state, `[secret]` in the plan); without, `aws secretsmanager put-secret-value` fills it.
 */
export function loginSecret(
  env: string,
  login: string,
  value: pulumi.Output<string> | undefined,
  opts: pulumi.CustomResourceOptions,
): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(
    `${env}-${login}-password`,
    {
      name: `amqp-mesh/${env}/${login}-password`,
      description: `mesh SASL password of the login ${login} (PLAIN over TLS)`,
    },
    opts,
  );
  if (value !== undefined)
    new secretsmanager.SecretVersion(
      `${env}-${login}-password`,
      { secretId: secret.id, secretString: pulumi.secret(value) },
      opts,
    );
  return secret;
}

/** The one statement that lets a role read a function's password secret, and nothing else. */
export function readsSecret(secret: secretsmanager.Secret): pulumi.Input<Record<string, unknown>> {
  return { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [secret.arn] };
}

const ASSUME_LAMBDA = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});

export function functionRole(
  name: string,
  statements: pulumi.Input<Record<string, unknown>>[],
  opts: pulumi.CustomResourceOptions,
) {
  const role = new iam.Role(`${name}-role`, { assumeRolePolicy: ASSUME_LAMBDA }, opts);
  // ENIs in the VPC and its own log group (the AWS managed policy for VPC functions).
  new iam.RolePolicyAttachment(
    `${name}-vpc`,
    {
      role: role.name,
      policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
    },
    opts,
  );
  if (statements.length > 0)
    new iam.RolePolicy(
      `${name}-data`,
      {
        role: role.id,
        policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }),
      },
      opts,
    );
  return role;
}

export function awsFunctions(
  env: string,
  bundles: (name: string) => string,
  network: AwsNetwork,
  groups: AwsSecurityGroups,
  store: AwsRegistryStore,
  edgeUrls: pulumi.Output<string>[],
  managementUrls: string[],
  secrets: AwsFunctionSecrets,
  /**
   * The secret holding the PEM of the CA that signs the edge routers' client listeners: the
   * ingress reads it at init (MESH_TLS_CA_SECRET, functions/aws/mesh-password.ts) to verify
   * the routers it publishes to.
   */
  edgeCa: secretsmanager.Secret,
  /** The same for every router's client listener, where config-sync reaches management. */
  managementCa: secretsmanager.Secret,
  settings: StackSettings,
  opts: pulumi.CustomResourceOptions,
): AwsFunctions {
  const vpcConfig = {
    subnetIds: network.privateSubnetIds,
    securityGroupIds: [groups.meshClients.id],
  };
  const logGroup = (name: string) =>
    new cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/aws/lambda/${name}`, retentionInDays: settings.logRetentionDays },
      opts,
    );

  const prefix = settings.registryPrefix;
  const bucketArn = store.bucket.arn;
  // Where config-sync publishes the gated snapshot (shared/registry-snapshot, "Trust model").
  const snapshotKey = `${prefix}published/registry-snapshot.json`;
  const ingressName = `${env}-ingress`;
  logGroup(ingressName);
  const ingressSecret = loginSecret(env, "ingress", secrets.ingressPassword, opts);
  const ingress = new lambda.Function(
    ingressName,
    {
      name: ingressName,
      runtime: "nodejs24.x",
      architectures: ["arm64"],
      handler: "index.handler",
      code: new pulumi.asset.FileArchive(bundles("ingress")),
      role: functionRole(
        ingressName,
        [
          {
            Effect: "Allow",
            Action: ["s3:GetObject"],
            Resource: [pulumi.interpolate`${bucketArn}/${prefix}published/*`],
          },
          readsSecret(ingressSecret),
          readsSecret(edgeCa),
        ],
        opts,
      ).arn,
      memorySize: 512,
      timeout: 10,
      vpcConfig,
      environment: {
        variables: {
          MESH_URLS: pulumi.all(edgeUrls).apply((urls) => urls.join(",")),
          MESH_SASL_USERNAME: "ingress",
          MESH_SASL_PASSWORD_SECRET: ingressSecret.arn,
          MESH_TLS_CA_SECRET: edgeCa.arn,
          REGISTRY_BUCKET: store.bucket.bucket,
          REGISTRY_SNAPSHOT_KEY: snapshotKey,
          ...(settings.jwt
            ? {
                INGRESS_JWT_ISSUER: settings.jwt.issuer,
                INGRESS_JWT_AUDIENCE: settings.jwt.audience.join(","),
              }
            : {}),
        },
      },
    },
    opts,
  );

  const api = new apigatewayv2.Api(`${env}-api`, { protocolType: "HTTP" }, opts);
  const integration = new apigatewayv2.Integration(
    `${env}-ingress`,
    {
      apiId: api.id,
      integrationType: "AWS_PROXY",
      integrationUri: ingress.invokeArn,
      payloadFormatVersion: "2.0",
    },
    opts,
  );
  const authorizer = settings.jwt
    ? new apigatewayv2.Authorizer(
        `${env}-jwt`,
        {
          apiId: api.id,
          authorizerType: "JWT",
          identitySources: ["$request.header.Authorization"],
          jwtConfiguration: { issuer: settings.jwt.issuer, audiences: settings.jwt.audience },
        },
        opts,
      )
    : undefined;
  new apigatewayv2.Route(
    `${env}-publish`,
    {
      apiId: api.id,
      routeKey: "POST /channels/{channel}/messages",
      target: pulumi.interpolate`integrations/${integration.id}`,
      ...(authorizer ? { authorizationType: "JWT", authorizerId: authorizer.id } : {}),
    },
    opts,
  );
  const stage = new apigatewayv2.Stage(
    `${env}-default`,
    { apiId: api.id, name: "$default", autoDeploy: true },
    opts,
  );
  new lambda.Permission(
    `${env}-api-ingress`,
    {
      action: "lambda:InvokeFunction",
      function: ingress.name,
      principal: "apigateway.amazonaws.com",
      sourceArn: pulumi.interpolate`${api.executionArn}/*/POST/channels/{channel}/messages`,
    },
    opts,
  );

  const syncName = `${env}-config-sync`;
  logGroup(syncName);
  const stateKey = `${prefix}.amqp-mesh/sync-state.json`;
  const syncSecret = loginSecret(env, settings.managementPrincipal, secrets.syncPassword, opts);
  const sync = new lambda.Function(
    syncName,
    {
      name: syncName,
      runtime: "nodejs24.x",
      architectures: ["arm64"],
      handler: "index.handler",
      code: new pulumi.asset.FileArchive(bundles("sync")),
      role: functionRole(
        syncName,
        [
          {
            Effect: "Allow",
            Action: ["s3:ListBucket"],
            Resource: [bucketArn],
            Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } },
          },
          {
            Effect: "Allow",
            Action: ["s3:GetObject"],
            Resource: [
              pulumi.interpolate`${bucketArn}/${prefix}registry/*`,
              pulumi.interpolate`${bucketArn}/${prefix}topology.yaml`,
              pulumi.interpolate`${bucketArn}/${stateKey}`,
            ],
          },
          {
            Effect: "Allow",
            Action: ["s3:PutObject"],
            Resource: [
              pulumi.interpolate`${bucketArn}/${stateKey}`,
              pulumi.interpolate`${bucketArn}/${snapshotKey}`,
            ],
          },
          readsSecret(syncSecret),
          readsSecret(managementCa),
        ],
        opts,
      ).arn,
      memorySize: 512,
      timeout: 60,
      // Runs do not overlap (they would converge anyway).
      reservedConcurrentExecutions: 1,
      vpcConfig,
      environment: {
        variables: {
          SYNC_BUCKET: store.bucket.bucket,
          SYNC_REGISTRY_PREFIX: prefix,
          SYNC_STATE_KEY: stateKey,
          REGISTRY_SNAPSHOT_KEY: snapshotKey,
          SYNC_ROUTER_URLS: managementUrls.join(","),
          SYNC_MANAGEMENT_PRINCIPALS: settings.managementPrincipal,
          MESH_SASL_USERNAME: settings.managementPrincipal,
          MESH_SASL_PASSWORD_SECRET: syncSecret.arn,
          MESH_TLS_CA_SECRET: managementCa.arn,
        },
      },
    },
    opts,
  );
  return {
    ingress,
    sync,
    apiUrl: stage.invokeUrl,
    loginSecrets: { ingress: ingressSecret, [settings.managementPrincipal]: syncSecret },
  };
}
