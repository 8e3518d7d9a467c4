/**
 * The registry bucket as config-sync's ObjectStore: ListObjectsV2 (every page) for the
 * listing with ETags, GetObject with If-Match so an object rewritten since the listing reads
 * as changed (412) and the read starts over, PutObject for the state document.
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import type { ObjectStore, StoredObject } from "../../../shared/sync/index.ts";

export class S3ObjectStore implements ObjectStore {
  readonly description: string;
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(client: S3Client, bucket: string) {
    this.#client = client;
    this.#bucket = bucket;
    this.description = `s3://${bucket}/`;
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: prefix,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? [])
        if (object.Key !== undefined && object.ETag !== undefined)
          objects.push({ key: object.Key, etag: object.ETag });
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return objects;
  }

  async get(key: string, etag?: string): Promise<{ content: string; etag: string } | undefined> {
    try {
      const object = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          ...(etag === undefined ? {} : { IfMatch: etag }),
        }),
      );
      const content = (await object.Body?.transformToString("utf-8")) ?? "";
      return { content, etag: object.ETag ?? "" };
    } catch (error) {
      // Gone, or rewritten since the listing (If-Match failed): the caller reads again.
      if (
        error instanceof S3ServiceException &&
        [404, 412].includes(error.$metadata.httpStatusCode ?? 0)
      )
        return undefined;
      throw error;
    }
  }

  async put(key: string, content: string): Promise<void> {
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        Body: content,
        ContentType: "application/json",
      }),
    );
  }
}
