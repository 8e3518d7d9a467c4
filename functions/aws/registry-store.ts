/**
 * The published registry snapshot in S3, as a function's SnapshotStore: GetObject with
 * If-None-Match (304: unchanged, nothing downloaded; 404: nothing published yet). Imported
 * lazily by the ingress and the triggers (`import()` after init: the S3 client is a chunk of
 * its own, not part of the cold start), only when REGISTRY_BUCKET is set. The endpoint is the
 * SDK's own (AWS_ENDPOINT_URL_S3 for S3rver); credentials the execution role's.
 */
import { GetObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import type { SnapshotStore } from "../../shared/registry-snapshot/index.ts";

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_SNAPSHOT_KEY = "published/registry-snapshot.json";

export class S3SnapshotStore implements SnapshotStore {
  readonly description: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #key: string;

  constructor(client: S3Client, bucket: string, key: string) {
    this.#client = client;
    this.#bucket = bucket;
    this.#key = key;
    this.description = `s3://${bucket}/${key}`;
  }

  async read(ifNoneMatch?: string) {
    try {
      const object = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: this.#key,
          ...(ifNoneMatch === undefined ? {} : { IfNoneMatch: ifNoneMatch }),
        }),
      );
      const text = (await object.Body?.transformToString("utf-8")) ?? "";
      return { etag: object.ETag ?? "", text };
    } catch (error) {
      const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : 0;
      if (status === 304) return "not-modified" as const;
      if (status === 404) return "missing" as const;
      throw error;
    }
  }
}

/** REGISTRY_BUCKET and REGISTRY_SNAPSHOT_KEY (default published/registry-snapshot.json). */
export function s3SnapshotStoreFromEnv(
  env: Env,
  client: S3Client = new S3Client({}),
): S3SnapshotStore {
  const bucket = env.REGISTRY_BUCKET;
  if (!bucket) throw new Error("REGISTRY_BUCKET must name the registry bucket");
  return new S3SnapshotStore(client, bucket, env.REGISTRY_SNAPSHOT_KEY || DEFAULT_SNAPSHOT_KEY);
}
