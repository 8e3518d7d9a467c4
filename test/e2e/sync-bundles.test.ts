/**
 * The config-sync bundles `npm run bundle` writes, loaded in a fresh Node process as Lambda
 * and the Azure worker load them, configured by environment only: they start, refuse a
 * missing setting by its name, and answer an event about another object without touching a
 * router or the store.
 */
import { spawn } from "node:child_process";
import { mkdir, readdir, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleFunctions } from "../../tools/bundle/bundle.ts";

const out = join(process.cwd(), ".tmp", "sync-bundle-test");

function runNode(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

const ENV = {
  SYNC_ROUTER_URLS: "amqp://127.0.0.1:1",
  MESH_SASL_USERNAME: "config-sync",
  MESH_SASL_PASSWORD: "bundle-secret",
};

beforeAll(async () => {
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await bundleFunctions("examples", out, () => {});
}, 300_000);
afterAll(() => rm(out, { recursive: true, force: true }));

describe("config-sync bundles", () => {
  it("hold the function alone: no registry snapshot (it reads the store at run time)", async () => {
    // (and the Secrets Manager client, imported only when MESH_SASL_PASSWORD_SECRET is set)
    expect((await readdir(join(out, "aws", "sync"))).sort()).toEqual([
      "aws-secrets-client.mjs",
      "index.mjs",
    ]);
    expect((await readdir(join(out, "azure", "sync"))).sort()).toEqual([
      "host.json",
      "index.mjs",
      "package.json",
    ]);
  });

  it("Lambda: imports, and ignores an Object Created event outside the project", async () => {
    const event = {
      version: "0",
      id: "e-1",
      "detail-type": "Object Created",
      source: "aws.s3",
      account: "123456789012",
      time: "2026-12-01T10:00:00Z",
      region: "eu-west-1",
      resources: ["arn:aws:s3:::registry"],
      detail: {
        version: "0",
        bucket: { name: "registry" },
        object: { key: "docs/README.md", size: 3, etag: "x" },
        "request-id": "r",
        requester: "a",
        reason: "PutObject",
      },
    };
    const script = `
      const { handler } = await import(${JSON.stringify(join(out, "aws", "sync", "index.mjs"))});
      const context = { functionName: "sync", awsRequestId: "1", getRemainingTimeInMillis: () => 30000 };
      console.log(JSON.stringify(await handler(${JSON.stringify(event)}, context)));`;
    const result = await runNode(script, {
      ...ENV,
      SYNC_BUCKET: "registry",
      AWS_REGION: "eu-west-1",
    });
    expect(result.stderr).toBe("");
    const last = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
    expect(last).toMatchObject({ trigger: "object-written", ignored: true });
    expect(result.stdout).not.toContain("bundle-secret");
  });

  it("Lambda: a missing setting stops the start, naming the variable", async () => {
    const result = await runNode(
      `await import(${JSON.stringify(join(out, "aws", "sync", "index.mjs"))});`,
      { ...ENV, SYNC_ROUTER_URLS: "" },
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/SYNC_ROUTER_URLS must list the routers/);
  });

  it("Lambda: reads its password from the Secrets Manager secret MESH_SASL_PASSWORD_SECRET names, once at init (a local stand-in for the service, not AWS)", async () => {
    const PASSWORD = "SECRETMARK-from-secrets-manager";
    const FOUND =
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:amqp-mesh/aws-eu/config-sync-password-a1b2c3";
    const asked: string[] = [];
    const standIn = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        const { SecretId } = JSON.parse(body) as { SecretId: string };
        asked.push(`${String(request.headers["x-amz-target"])} ${SecretId}`);
        const found = SecretId === FOUND;
        response.writeHead(found ? 200 : 400, {
          "content-type": "application/x-amz-json-1.1",
          ...(found ? {} : { "x-amzn-errortype": "ResourceNotFoundException" }),
        });
        response.end(
          JSON.stringify(
            found
              ? {
                  ARN: FOUND,
                  Name: "amqp-mesh/aws-eu/config-sync-password",
                  SecretString: PASSWORD,
                  VersionId: "v1",
                  VersionStages: ["AWSCURRENT"],
                  CreatedDate: 1.7335e9,
                }
              : {
                  __type: "ResourceNotFoundException",
                  Message: "Secrets Manager can't find the specified secret.",
                },
          ),
        );
      });
    });
    await new Promise<void>((done) => standIn.listen(0, "127.0.0.1", done));
    try {
      const { MESH_SASL_PASSWORD: _given, ...withoutPassword } = ENV;
      const env = (secret: string) => ({
        ...withoutPassword,
        MESH_SASL_PASSWORD_SECRET: secret,
        SYNC_BUCKET: "registry",
        AWS_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "not-a-real-key",
        AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`,
      });
      // The Lambda runtime imports index.mjs: init reads the secret before the handler exists.
      const script = `await import(${JSON.stringify(join(out, "aws", "sync", "index.mjs"))}); console.log("started");`;
      const started = await runNode(script, env(FOUND));
      expect(started.stderr).toBe("");
      expect(started.stdout.trim().split("\n").at(-1)).toBe("started");
      expect(asked).toEqual([`secretsmanager.GetSecretValue ${FOUND}`]);
      expect(started.stdout).not.toContain(PASSWORD);
      // A secret that is not there stops the start, naming it and what AWS said; no value anywhere.
      const missing = FOUND.replace("a1b2c3", "zzzzzz");
      const refused = await runNode(script, env(missing));
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(
        `the secret ${missing} could not be read (ResourceNotFoundException`,
      );
      expect(refused.stderr + refused.stdout).not.toContain(PASSWORD);
    } finally {
      await new Promise<void>((done) => standIn.close(() => done()));
    }
  });

  it("Azure: the app's main imports, and ignores an Event Grid event that is not BlobCreated", async () => {
    const event = {
      id: "e-2",
      topic: "/t",
      subject: "/blobServices/default/containers/registry/blobs/registry/a.yaml",
      eventType: "Microsoft.Storage.BlobDeleted",
      eventTime: "2026-12-01T10:00:00Z",
      data: {},
      dataVersion: "",
      metadataVersion: "1",
    };
    const script = `
      const { registryEventHandler } = await import(${JSON.stringify(join(out, "azure", "sync", "index.mjs"))});
      const context = { info() {}, warn() {}, error() {}, log() {} };
      console.log(JSON.stringify(await registryEventHandler(${JSON.stringify(event)}, context)));`;
    const result = await runNode(script, {
      ...ENV,
      SYNC_BLOB_CONNECTION_STRING:
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;",
      SYNC_BLOB_CONTAINER: "registry",
    });
    // Without a Functions host the library says it registers nothing (its test mode); no other warning.
    expect(result.stderr.split("\n").filter((l) => l !== "" && !/test mode/.test(l))).toEqual([]);
    expect(result.stderr).toMatch(/register function "registrySync"/);
    expect(result.stderr).toMatch(/register function "registryDrift"/);
    expect(JSON.parse(result.stdout.trim().split("\n").at(-1)!)).toMatchObject({ ignored: true });
  });
});
