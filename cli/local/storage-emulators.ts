/**
 * The storage emulators the local platform (`up`) keeps the registry in, as the clouds keep it
 * in a bucket and a container — and config-sync's function tests too — on ephemeral loopback
 * ports (devDependencies: `up` runs from a clone):
 * - S3: S3rver (the maintained fork @20minutes/s3rver), in this process, path-style, its
 *   own temporary folder; `events` collects the S3 event records it emits for each write.
 * - Blob: Azurite's blob service as a child process (`--disableTelemetry`, in memory), its
 *   port read from its start-up line; stopped by its pid.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import {
  BlobSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";

const require = createRequire(import.meta.url);

/** An S3 event record as S3rver emits it (the shape of S3's own notifications). */
export interface S3EventRecord {
  eventName: string;
  eventTime: string;
  s3: {
    bucket: { name: string };
    object: { key: string; size?: number; eTag?: string; sequencer: string };
  };
}

export interface S3Emulator {
  endpoint: string;
  client: S3Client;
  /** Every record emitted so far (one per write). */
  events: S3EventRecord[];
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * An S3 client for S3rver at `endpoint`, as a function's SDK would build it from its
 * environment there (region, credentials, AWS_ENDPOINT_URL_S3): path-style, since the bucket
 * cannot be a host name of 127.0.0.1.
 */
export function s3ClientFor(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: LOCAL_AWS_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    // S3rver predates the SDK's default CRC checksums.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

export async function startS3Emulator(): Promise<S3Emulator> {
  const directory = await mkdtemp(join(tmpdir(), "amqp-mesh-s3rver-"));
  const S3rver = require("@20minutes/s3rver") as new (
    options: Record<string, unknown>,
  ) => {
    run(): Promise<{ port: number }>;
    close(): Promise<void>;
    httpServer?: { closeAllConnections?: () => void };
    on(event: "event", listener: (event: { Records: S3EventRecord[] }) => void): void;
  };
  // S3rver's SigV4 check predates headers the current SDK signs; signatures are not under test.
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    // Its reset uses fs.rmdir({ recursive }), which Node 24 warns about on stderr: stop() removes the folder.
    resetOnClose: false,
    allowMismatchedSignatures: true,
  });
  const events: S3EventRecord[] = [];
  server.on("event", (event) => events.push(...event.Records));
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = s3ClientFor(endpoint);
  return {
    endpoint,
    client,
    events,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop: async () => {
      client.destroy();
      // Another client polling with keep-alive (a function's live registry) would hold
      // close() open for as long as it keeps asking: its connections end with the server.
      const closed = server.close();
      server.httpServer?.closeAllConnections?.();
      await closed;
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Azurite's well-known development account (public, documented by Microsoft). */
const DEV_ACCOUNT = "devstoreaccount1";
const DEV_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface BlobEmulator {
  connectionString: string;
  account: string;
  /**
   * A connection string that may only read one blob (a service SAS, `r`, for a day): what
   * the clouds give a function that reads the published registry snapshot.
   */
  readOnlyBlob(container: string, blob: string): string;
  stop(): Promise<void>;
}

export async function startAzurite(): Promise<BlobEmulator> {
  const main = require.resolve("azurite/dist/src/blob/main.js");
  const child: ChildProcess = spawn(
    process.execPath,
    [
      main,
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      "0",
      "--inMemoryPersistence",
      "--extentMemoryLimit",
      "64",
      "--disableTelemetry",
      "--silent",
      "--skipApiVersionCheck",
    ],
    { stdio: ["ignore", "pipe", "pipe"], cwd: tmpdir() },
  );
  const exited = once(child, "exit");
  // Azurite dies with this process, however it ends: left behind, it serves nobody.
  const reap = () => child.kill("SIGKILL");
  process.once("exit", reap);
  void exited.then(() => process.off("exit", reap));
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    // Loading Azurite took over 20 s once on a machine at load 30 (2 cores): 45 s, and the
    // child is not left behind when it runs out.
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`Azurite did not start within 45 s:\n${output}`));
    }, 45_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (${code}) before it listened:\n${output}`));
    });
  });
  const blobEndpoint = `http://127.0.0.1:${port}/${DEV_ACCOUNT}`;
  return {
    account: DEV_ACCOUNT,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};BlobEndpoint=${blobEndpoint};`,
    readOnlyBlob: (containerName, blobName) => {
      const sas = generateBlobSASQueryParameters(
        {
          containerName,
          blobName,
          permissions: BlobSASPermissions.parse("r"),
          expiresOn: new Date(Date.now() + 24 * 3600_000),
        },
        new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY),
      ).toString();
      return `BlobEndpoint=${blobEndpoint};SharedAccessSignature=${sas}`;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

/** The account and region the local AWS side's events name. */
export const LOCAL_AWS_ACCOUNT = "123456789012";
export const LOCAL_AWS_REGION = "eu-west-1";

/**
 * The EventBridge "Object Created" event S3 sends for the last write of `key`, built from the
 * record S3rver emitted for it (AWS's "Amazon S3 events via EventBridge" shape).
 */
export function objectCreatedEvent(
  s3: Pick<S3Emulator, "events">,
  key: string,
  where: { account: string; region: string } = {
    account: LOCAL_AWS_ACCOUNT,
    region: LOCAL_AWS_REGION,
  },
): unknown {
  const record = [...s3.events].reverse().find((r) => r.s3.object.key === key);
  if (record === undefined) throw new Error(`S3rver reported no write of ${key}`);
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Object Created",
    source: "aws.s3",
    account: where.account,
    time: new Date(record.eventTime).toISOString().replace(/\.\d+Z$/, "Z"),
    region: where.region,
    resources: [`arn:aws:s3:::${record.s3.bucket.name}`],
    detail: {
      version: "0",
      bucket: { name: record.s3.bucket.name },
      object: {
        key,
        size: record.s3.object.size,
        etag: record.s3.object.eTag,
        sequencer: record.s3.object.sequencer,
      },
      "request-id": randomUUID(),
      requester: where.account,
      "source-ip-address": "127.0.0.1",
      reason: "PutObject",
    },
  };
}
