/**
 * The registry stores of the local platform, as the clouds have them: S3rver as the AWS
 * side's registry bucket, Azurite as the Azure side's container, on loopback ephemeral
 * ports. `upload` puts the project's files (`topology.yaml`, `registry/**`) in both — only
 * those whose content changed since the last upload, and removes those gone — and returns,
 * per written object, the change event each cloud would deliver for it: EventBridge's
 * "Object Created" from the record S3rver emitted, Event Grid's BlobCreated from what Azurite
 * answered to the upload.
 */
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { EventGridEvent } from "@azure/functions";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { S3ObjectStore } from "../../functions/aws/sync/s3-store.ts";
import { BlobObjectStore } from "../../functions/azure/sync/blob-store.ts";
import {
  type BlobEmulator,
  objectCreatedEvent,
  type S3Emulator,
  startAzurite,
  startS3Emulator,
} from "./storage-emulators.ts";

/** The two clouds of the local twin. */
export type Cloud = "aws" | "azure";

export const REGISTRY_BUCKET = "amqp-mesh-registry";
export const REGISTRY_CONTAINER = "amqp-mesh-registry";
const REGION = "eu-west-1";
const ACCOUNT = "000000000000";

export interface ProjectFile {
  key: string;
  body: Buffer;
}

/** What was written: the key and the event each cloud delivers for it. */
export interface WrittenObject {
  key: string;
  awsEvent: unknown;
  azureEvent: EventGridEvent;
}

export interface UploadResult {
  written: WrittenObject[];
  removed: string[];
}

export interface RegistryStores {
  s3: S3Emulator;
  azurite: BlobEmulator;
  container: ContainerClient;
  /** config-sync's view of each (the functions' own store classes). */
  awsStore: S3ObjectStore;
  azureStore: BlobObjectStore;
  upload(files: readonly ProjectFile[]): Promise<UploadResult>;
  stop(): Promise<void>;
}

/** The project's files as `amqp-mesh registry push` uploads them: registry/** first, topology last. */
export async function projectFiles(dir: string): Promise<ProjectFile[]> {
  const files: ProjectFile[] = [];
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile())
        files.push({ key: relative(dir, path).split(sep).join("/"), body: await readFile(path) });
    }
  };
  await walk(join(dir, "registry"));
  files.sort((a, b) => (a.key < b.key ? -1 : 1));
  files.push({ key: "topology.yaml", body: await readFile(join(dir, "topology.yaml")) });
  return files;
}

function digest(body: Buffer): string {
  return createHash("sha256").update(body).digest("hex");
}

export async function startRegistryStores(): Promise<RegistryStores> {
  const [s3, azurite] = await Promise.all([startS3Emulator(), startAzurite()]);
  try {
    await s3.createBucket(REGISTRY_BUCKET);
    const container = BlobServiceClient.fromConnectionString(
      azurite.connectionString,
    ).getContainerClient(REGISTRY_CONTAINER);
    await container.create();
    const uploaded = new Map<string, string>();

    const awsEventFor = (key: string): unknown =>
      objectCreatedEvent(s3, key, { account: ACCOUNT, region: REGION });
    let sequence = 0;
    const azureEventFor = (key: string, etag: string, size: number): EventGridEvent => ({
      id: randomUUID(),
      topic: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/amqp-mesh-local/providers/Microsoft.Storage/storageAccounts/${azurite.account}`,
      subject: `/blobServices/default/containers/${REGISTRY_CONTAINER}/blobs/${key}`,
      eventType: "Microsoft.Storage.BlobCreated",
      eventTime: new Date().toISOString(),
      data: {
        api: "PutBlob",
        requestId: randomUUID(),
        eTag: etag,
        contentType: "application/octet-stream",
        contentLength: size,
        blobType: "BlockBlob",
        url: `${container.url}/${key}`,
        sequencer: (++sequence).toString(16).padStart(48, "0"),
        storageDiagnostics: { batchId: randomUUID() },
      },
      dataVersion: "",
      metadataVersion: "1",
    });

    return {
      s3,
      azurite,
      container,
      awsStore: new S3ObjectStore(s3.client, REGISTRY_BUCKET),
      azureStore: new BlobObjectStore(container),
      upload: async (files) => {
        const written: WrittenObject[] = [];
        for (const file of files) {
          const sum = digest(file.body);
          if (uploaded.get(file.key) === sum) continue;
          await s3.client.send(
            new PutObjectCommand({ Bucket: REGISTRY_BUCKET, Key: file.key, Body: file.body }),
          );
          const answer = await container
            .getBlockBlobClient(file.key)
            .uploadData(file.body, { blobHTTPHeaders: { blobContentType: "application/yaml" } });
          uploaded.set(file.key, sum);
          written.push({
            key: file.key,
            awsEvent: awsEventFor(file.key),
            azureEvent: azureEventFor(file.key, String(answer.etag), file.body.length),
          });
        }
        const keep = new Set(files.map((f) => f.key));
        const removed = [...uploaded.keys()].filter((key) => !keep.has(key));
        for (const key of removed) {
          await s3.client.send(new DeleteObjectCommand({ Bucket: REGISTRY_BUCKET, Key: key }));
          await container.deleteBlob(key);
          uploaded.delete(key);
        }
        return { written, removed };
      },
      stop: async () => {
        await Promise.allSettled([s3.stop(), azurite.stop()]);
      },
    };
  } catch (error) {
    await Promise.allSettled([s3.stop(), azurite.stop()]);
    throw error;
  }
}
