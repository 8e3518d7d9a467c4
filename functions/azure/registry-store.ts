/**
 * The published registry snapshot in Blob storage, as a function's SnapshotStore: a download
 * conditioned on If-None-Match (304: unchanged, nothing downloaded; 404: nothing published
 * yet). Imported lazily by the ingress and the triggers (`import()` after init: the Blob
 * client is a chunk of its own, not part of the cold start), only when
 * REGISTRY_BLOB_CONTAINER is set.
 */
import { type ContainerClient, RestError } from "@azure/storage-blob";
import type { SnapshotStore } from "../../shared/registry-snapshot/index.ts";
import { containerFromSettings } from "./blob-identity.ts";

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_SNAPSHOT_KEY = "published/registry-snapshot.json";

export class BlobSnapshotStore implements SnapshotStore {
  readonly description: string;
  readonly #container: ContainerClient;
  readonly #key: string;

  constructor(container: ContainerClient, key: string) {
    this.#container = container;
    this.#key = key;
    const url = new URL(container.url);
    // The URL without its query: a SAS token there is a secret.
    this.description = `${url.origin}${url.pathname.replace(/\/?$/, "/")}${key}`;
  }

  async read(ifNoneMatch?: string) {
    try {
      const download = await this.#container
        .getBlobClient(this.#key)
        .download(0, undefined, ifNoneMatch === undefined ? {} : { conditions: { ifNoneMatch } });
      const chunks: Buffer[] = [];
      for await (const chunk of download.readableStreamBody ?? [])
        chunks.push(Buffer.from(chunk as Buffer));
      return { etag: download.etag ?? "", text: Buffer.concat(chunks).toString("utf8") };
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 304) return "not-modified" as const;
      if (error instanceof RestError && error.statusCode === 404) return "missing" as const;
      throw error;
    }
  }
}

/**
 * REGISTRY_BLOB_CONTAINER, and the account as REGISTRY_BLOB__blobServiceUri (+ `__credential`,
 * `__clientId`: the app's identity, as deployed) or REGISTRY_BLOB_CONNECTION_STRING (Azurite,
 * a SAS); REGISTRY_SNAPSHOT_KEY (default published/registry-snapshot.json).
 */
export function blobSnapshotStoreFromEnv(env: Env): BlobSnapshotStore {
  const container = env.REGISTRY_BLOB_CONTAINER;
  if (!container) throw new Error("REGISTRY_BLOB_CONTAINER must name the registry container");
  return new BlobSnapshotStore(
    containerFromSettings(env, "REGISTRY_BLOB", container),
    env.REGISTRY_SNAPSHOT_KEY || DEFAULT_SNAPSHOT_KEY,
  );
}
