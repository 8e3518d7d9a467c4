/**
 * `amqp-mesh registry push` against real storage emulators (S3rver, Azurite), as a user runs
 * it: the project's files land under the prefix byte for byte, a removed team file is
 * removed from the store, and an invalid registry uploads nothing.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { BlobServiceClient } from "@azure/storage-blob";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type BlobEmulator,
  type S3Emulator,
  startAzurite,
  startS3Emulator,
} from "../../support/storage-emulators.ts";

const BIN = fileURLToPath(new URL("../../../cli/bin.js", import.meta.url));
const EXAMPLES = fileURLToPath(new URL("../../../examples", import.meta.url));

function cli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { timeout: 120_000, env: { ...process.env, ...env } },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
          stdout,
          stderr,
        }),
    );
  });
}

/** What a push should put in the store: key (relative to the prefix) → content. */
async function expectedFiles(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (folder: string) => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else files.set(relative(dir, path).split(sep).join("/"), await readFile(path, "utf8"));
    }
  };
  await walk(join(dir, "registry"));
  files.set("topology.yaml", await readFile(join(dir, "topology.yaml"), "utf8"));
  return files;
}

const made: string[] = [];
async function copyOfExamples(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "amqp-mesh-push-"));
  made.push(dir);
  await cp(EXAMPLES, dir, { recursive: true });
  return dir;
}
afterEach(async () => {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Breaks the registry: a channel owned by a team that does not exist. */
async function breakRegistry(dir: string): Promise<void> {
  await writeFile(
    join(dir, "registry", "rogue.yaml"),
    "team: rogue\nchannels:\n  - address: sales/orders\n    owner: nobody\n",
  );
}

describe("registry push to S3 (S3rver)", { timeout: 180_000 }, () => {
  let s3: S3Emulator;
  const bucket = "mesh-registry";
  const env = () => ({
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_REGION: "eu-west-1",
    // S3rver predates the SDK's default CRC checksums.
    AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED",
    AWS_RESPONSE_CHECKSUM_VALIDATION: "WHEN_REQUIRED",
  });
  beforeAll(async () => {
    s3 = await startS3Emulator();
    await s3.createBucket(bucket);
  }, 120_000);
  afterAll(async () => {
    await s3?.stop();
  });

  async function stored(prefix: string): Promise<Map<string, string>> {
    const page = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    const files = new Map<string, string>();
    for (const object of page.Contents ?? []) {
      const got = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key! }));
      files.set(object.Key!.slice(prefix.length), await got.Body!.transformToString());
    }
    return files;
  }

  it("uploads topology.yaml and registry/ under the prefix, and removes a file the project dropped", async () => {
    const dir = await copyOfExamples();
    await writeFile(join(dir, "registry", "schemas", "retired.json"), '{"type": "object"}\n');
    const first = await cli(
      ["registry", "push", dir, "--to", `s3://${bucket}/eu/mesh`, "--endpoint", s3.endpoint],
      env(),
    );
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(await stored("eu/mesh/")).toEqual(await expectedFiles(dir));
    const eventsAfterFirst = s3.events.length;
    expect(
      s3.events
        .slice(0, eventsAfterFirst)
        .map((e) => e.s3.object.key)
        .at(-1),
    ).toBe("eu/mesh/topology.yaml");

    await rm(join(dir, "registry", "schemas", "retired.json"));
    const second = await cli(
      ["registry", "push", dir, "--to", `s3://${bucket}/eu/mesh/`, "--endpoint", s3.endpoint],
      env(),
    );
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/removed 1 .*eu\/mesh\/registry\/schemas\/retired\.json/);
    expect(await stored("eu/mesh/")).toEqual(await expectedFiles(dir));
  });

  it("uploads nothing for an invalid registry (exit 1, the errors on stderr)", async () => {
    const dir = await copyOfExamples();
    await breakRegistry(dir);
    const before = s3.events.length;
    const run = await cli(
      ["registry", "push", dir, "--to", `s3://${bucket}/broken`, "--endpoint", s3.endpoint],
      env(),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/rogue\.yaml:\d+:\d+: error:/);
    expect(run.stderr).toMatch(/nothing uploaded/);
    expect(s3.events.length).toBe(before);
    expect((await stored("broken/")).size).toBe(0);
  });
});

describe("registry push to a blob container (Azurite)", { timeout: 180_000 }, () => {
  let azurite: BlobEmulator;
  const container = "registry";
  beforeAll(async () => {
    azurite = await startAzurite();
    await BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient(container)
      .create();
  }, 120_000);
  afterAll(async () => {
    await azurite?.stop();
  });

  async function stored(prefix: string): Promise<Map<string, string>> {
    const client = BlobServiceClient.fromConnectionString(
      azurite.connectionString,
    ).getContainerClient(container);
    const files = new Map<string, string>();
    for await (const blob of client.listBlobsFlat({ prefix }))
      files.set(
        blob.name.slice(prefix.length),
        (await client.getBlobClient(blob.name).downloadToBuffer()).toString("utf8"),
      );
    return files;
  }

  it("uploads the project under the prefix; an invalid one uploads nothing", async () => {
    const dir = await copyOfExamples();
    const env = { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString };
    const run = await cli(["registry", "push", dir, "--to", `azblob://${container}/we`], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(await stored("we/")).toEqual(await expectedFiles(dir));

    await breakRegistry(dir);
    const refused = await cli(
      ["registry", "push", dir, "--to", `azblob://${container}/other`],
      env,
    );
    expect(refused.code).toBe(1);
    expect((await stored("other/")).size).toBe(0);
    // and the earlier push is untouched
    const valid = await expectedFiles(dir);
    valid.delete("registry/rogue.yaml");
    expect(await stored("we/")).toEqual(valid);
  });

  it("says what is missing without credentials (exit 2)", async () => {
    const dir = await copyOfExamples();
    const run = await cli(["registry", "push", dir, "--to", `azblob://${container}/we`], {
      AZURE_STORAGE_CONNECTION_STRING: "",
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/AZURE_STORAGE_CONNECTION_STRING, or a SAS/);
  });
});
