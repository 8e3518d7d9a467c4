/**
 * The registry store of an AWS environment: a private, encrypted, versioned bucket that sends
 * its events to EventBridge, and the rule that turns "Object Created" under the registry's
 * keys into a config-sync run (the same keys config-sync reads: `<prefix>registry/`,
 * `<prefix>topology.yaml`), plus the schedule that finds drift.
 */

import * as cloudwatch from "@pulumi/aws/cloudwatch/index.js";
import * as lambda from "@pulumi/aws/lambda/index.js";
import * as s3 from "@pulumi/aws/s3/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { StackSettings } from "../settings.ts";

export interface AwsRegistryStore {
  bucket: s3.Bucket;
}

export function awsRegistryStore(
  env: string,
  opts: pulumi.CustomResourceOptions,
): AwsRegistryStore {
  const bucket = new s3.Bucket(`${env}-registry`, { forceDestroy: false }, opts);
  new s3.BucketPublicAccessBlock(
    `${env}-registry`,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    opts,
  );
  new s3.BucketOwnershipControls(
    `${env}-registry`,
    { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
    opts,
  );
  new s3.BucketServerSideEncryptionConfiguration(
    `${env}-registry`,
    {
      bucket: bucket.id,
      rules: [
        { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true },
      ],
    },
    opts,
  );
  new s3.BucketVersioning(
    `${env}-registry`,
    { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
    opts,
  );
  new s3.BucketNotification(`${env}-registry`, { bucket: bucket.id, eventbridge: true }, opts);
  new s3.BucketPolicy(
    `${env}-registry`,
    {
      bucket: bucket.id,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "TlsOnly",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      }),
    },
    opts,
  );
  return { bucket };
}

/** The EventBridge pattern of a registry change: Object Created under the project's keys. */
export function registryChangePattern(bucketName: string, prefix: string) {
  return {
    source: ["aws.s3"],
    "detail-type": ["Object Created"],
    detail: {
      bucket: { name: [bucketName] },
      object: { key: [{ prefix: `${prefix}registry/` }, `${prefix}topology.yaml`] },
    },
  };
}

/** Registry changes and the drift schedule both run the sync function. */
export function wireRegistryEvents(
  env: string,
  store: AwsRegistryStore,
  syncFunction: lambda.Function,
  settings: StackSettings,
  opts: pulumi.CustomResourceOptions,
): void {
  const change = new cloudwatch.EventRule(
    `${env}-registry-change`,
    {
      description: "a registry object was written: run config-sync",
      eventPattern: store.bucket.bucket.apply((name) =>
        JSON.stringify(registryChangePattern(name, settings.registryPrefix)),
      ),
    },
    opts,
  );
  const schedule = new cloudwatch.EventRule(
    `${env}-registry-drift`,
    {
      description: "config-sync's full run: routers that restarted, changes made by hand",
      scheduleExpression: settings.aws.syncSchedule,
    },
    opts,
  );
  for (const [name, rule] of [
    ["change", change],
    ["drift", schedule],
  ] as const) {
    new cloudwatch.EventTarget(
      `${env}-sync-${name}`,
      { rule: rule.name, arn: syncFunction.arn },
      opts,
    );
    new lambda.Permission(
      `${env}-sync-${name}`,
      {
        action: "lambda:InvokeFunction",
        function: syncFunction.name,
        principal: "events.amazonaws.com",
        sourceArn: rule.arn,
      },
      opts,
    );
  }
}
