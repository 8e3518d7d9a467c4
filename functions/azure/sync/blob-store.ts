/**
 * The registry container as config-sync's ObjectStore: a flat blob listing with ETags, a
 * download conditioned on the listed ETag (412 when rewritten since: the read starts over),
 * an upload for the state document.
 */
import { type ContainerClient, RestError } from "@azure/storage-blob";
import type { ObjectStore, StoredObject } from "../../../shared/sync/index.ts";

export class BlobObjectStore implements ObjectStore {
  readonly description: string;
  readonly #container: ContainerClient;

  constructor(container: ContainerClient) {
    this.#container = container;
    const url = new URL(container.url);
    this.description = `${url.origin}${url.pathname.replace(/\/?$/, "/")}`;
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    for await (const blob of this.#container.listBlobsFlat({ prefix }))
      if (blob.properties.etag !== undefined)
        objects.push({ key: blob.name, etag: blob.properties.etag });
    return objects;
  }

  async get(key: string, etag?: string): Promise<{ content: string; etag: string } | undefined> {
    try {
      const blob = this.#container.getBlobClient(key);
      const download = await blob.download(
        0,
        undefined,
        etag === undefined ? {} : { conditions: { ifMatch: etag } },
      );
      const chunks: Buffer[] = [];
      for await (const chunk of download.readableStreamBody ?? [])
        chunks.push(Buffer.from(chunk as Buffer));
      return { content: Buffer.concat(chunks).toString("utf8"), etag: download.etag ?? "" };
    } catch (error) {
      // Gone, or rewritten since the listing (If-Match failed): the caller reads again.
      if (error instanceof RestError && (error.statusCode === 404 || error.statusCode === 412))
        return undefined;
      throw error;
    }
  }

  async put(key: string, content: string): Promise<void> {
    await this.#container.getBlockBlobClient(key).upload(content, Buffer.byteLength(content), {
      blobHTTPHeaders: { blobContentType: "application/json" },
    });
  }
}
