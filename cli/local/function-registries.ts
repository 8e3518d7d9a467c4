/**
 * Where the local platform's functions (both clouds' ingress, the channel triggers) learn the
 * registry — as deployed, each from its own cloud's store: `deployedRegistryView` (a
 * LiveRegistry) over the snapshot config-sync publishes after its gate
 * (`published/registry-snapshot.json`), read conditionally by ETag every `LOCAL_POLL_MS`.
 * AWS functions read S3rver through the AWS function's own S3SnapshotStore; Azure functions
 * read Azurite through the Azure function's own BlobSnapshotStore, with a read-only SAS for
 * that one blob (the clouds' trust model: shared/registry-snapshot/README.md). The "bundled"
 * snapshot, the cold-start fallback, is the registry `up` started with: what a deploy would
 * have bundled. Nothing here hands a function a registry: a registry that did not pass
 * config-sync's gate is never published, so never read.
 */
import { createHash } from "node:crypto";
import { s3SnapshotStoreFromEnv } from "../../functions/aws/registry-store.ts";
import { azureSnapshotStore } from "../../functions/azure/live-registry.ts";
import {
  deployedRegistryView,
  type LiveRegistry,
  type PayloadValidators,
  type RegistrySnapshot,
  runtimeValidators,
  type SnapshotStore,
} from "../../shared/registry-snapshot/index.ts";
import {
  type Cloud,
  REGISTRY_BUCKET,
  REGISTRY_CONTAINER,
  type RegistryStores,
} from "./registry-stores.ts";
import { LOCAL_AWS_REGION, s3ClientFor } from "./storage-emulators.ts";

/** Where config-sync publishes the gated snapshot, in the bucket and the container (its env). */
export const REGISTRY_SNAPSHOT_KEY = "published/registry-snapshot.json";

/**
 * Between two conditional reads of the store (REGISTRY_POLL_MS; deployed default 5 s): a
 * registry edit is enforced by every function at most this long after config-sync published
 * it. A read that finds nothing new is a 304 of a few hundred bytes.
 */
export const LOCAL_POLL_MS = 250;

/** One function's reader of its cloud's store. */
export interface FunctionRegistry {
  /** The function's name, as `up` prints it (`aws ingress`, `order-invoicing`). */
  name: string;
  cloud: Cloud;
  live: LiveRegistry;
}

export interface FunctionRegistries {
  /** What each function starts with (and falls back to): the registry `up` started with. */
  bundled: { snapshot: RegistrySnapshot; validators: PayloadValidators };
  /** The environment a function of this cloud is given to read the registry store. */
  env(cloud: Cloud): Record<string, string>;
  /** A started reader for one function; its log lines go to `log`. */
  open(name: string, cloud: Cloud, log: (line: string) => void): FunctionRegistry;
  /** Every reader opened so far. */
  readonly all: readonly FunctionRegistry[];
  /**
   * Resolves when every reader of each cloud enforces the digest given for it (its first 12
   * hex digits are enough); rejects after `timeoutMs` naming the readers behind.
   */
  enforced(digests: ReadonlyMap<Cloud, string>, timeoutMs: number): Promise<void>;
  close(): void;
}

/** The store as the deployed functions are told where it is (AWS: bucket; Azure: container). */
export function functionRegistryEnv(
  store:
    | { cloud: "aws"; bucket: string; endpoint: string; region: string }
    | { cloud: "azure"; container: string; connectionString: string },
  pollMs: number = LOCAL_POLL_MS,
): Record<string, string> {
  const common = { REGISTRY_SNAPSHOT_KEY: REGISTRY_SNAPSHOT_KEY, REGISTRY_POLL_MS: `${pollMs}` };
  return store.cloud === "aws"
    ? {
        ...common,
        REGISTRY_BUCKET: store.bucket,
        AWS_ENDPOINT_URL_S3: store.endpoint,
        AWS_REGION: store.region,
      }
    : {
        ...common,
        REGISTRY_BLOB_CONTAINER: store.container,
        REGISTRY_BLOB_CONNECTION_STRING: store.connectionString,
      };
}

export function functionRegistries(options: {
  stores: Pick<RegistryStores, "s3" | "azurite">;
  /** The registry `up` started with. */
  snapshot: RegistrySnapshot;
  pollMs?: number;
}): FunctionRegistries {
  const { stores } = options;
  const bundled = { snapshot: options.snapshot, validators: runtimeValidators() };
  const envs: Record<Cloud, Record<string, string>> = {
    aws: functionRegistryEnv(
      {
        cloud: "aws",
        bucket: REGISTRY_BUCKET,
        endpoint: stores.s3.endpoint,
        region: LOCAL_AWS_REGION,
      },
      options.pollMs,
    ),
    azure: functionRegistryEnv(
      {
        cloud: "azure",
        container: REGISTRY_CONTAINER,
        connectionString: stores.azurite.readOnlyBlob(REGISTRY_CONTAINER, REGISTRY_SNAPSHOT_KEY),
      },
      options.pollMs,
    ),
  };
  const all: FunctionRegistry[] = [];
  const clients: Array<{ destroy(): void }> = [];

  const open = (name: string, cloud: Cloud, log: (line: string) => void): FunctionRegistry => {
    const env = envs[cloud];
    // The AWS SDK reads region, endpoint and credentials from the process's environment,
    // which a local function does not own: its client is built from its own environment.
    const openStore =
      cloud === "aws"
        ? async () => {
            const client = s3ClientFor(env.AWS_ENDPOINT_URL_S3 as string);
            clients.push(client);
            return wholeObjectsOnly(s3SnapshotStoreFromEnv(env, client));
          }
        : azureSnapshotStore(env);
    const { live } = deployedRegistryView({ bundled, openStore, env, log });
    if (live === undefined) throw new Error(`no registry store for ${name} (${cloud})`);
    const reader = { name, cloud, live };
    all.push(reader);
    return reader;
  };

  const enforced = async (digests: ReadonlyMap<Cloud, string>, timeoutMs: number) => {
    const behind = () =>
      all.filter((r) => {
        const digest = digests.get(r.cloud);
        return digest !== undefined && !r.live.digest.startsWith(digest);
      });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const late = behind();
      if (late.length === 0) return;
      if (Date.now() >= deadline)
        throw new Error(
          `not enforced within ${timeoutMs / 1000} s by ${late.map((r) => `${r.name} (still ${r.live.digest.slice(0, 12)})`).join(", ")}`,
        );
      // Woken by the first swap among them, or after a poll interval at most.
      await new Promise<void>((resolve) => {
        const offs = late.map((r) => r.live.onChange(() => wake()));
        const timer = setTimeout(() => wake(), Math.min(deadline - Date.now(), 200));
        function wake() {
          clearTimeout(timer);
          for (const off of offs) off();
          resolve();
        }
      });
    }
  };

  return {
    bundled,
    env: (cloud) => ({ ...envs[cloud] }),
    open,
    all,
    enforced,
    close: () => {
      for (const reader of all) reader.live.close();
      for (const client of clients) client.destroy();
    },
  };
}

/**
 * S3 answers an object as it was before a PUT or after it; S3rver writes the file in place, so
 * a read during config-sync's PUT can get part of it (seen: "not JSON") under an ETag that a
 * reader then remembers as a bad object and does not read again. A single-PUT object's ETag
 * is the MD5 of its bytes: a body that does not hash to it is a failed read, tried again on
 * the next poll — S3's guarantee, restored for the emulator.
 */
function wholeObjectsOnly(store: SnapshotStore): SnapshotStore {
  return {
    ...(store.description === undefined ? {} : { description: store.description }),
    async read(ifNoneMatch) {
      const answer = await store.read(ifNoneMatch);
      if (typeof answer === "object") {
        const md5 = createHash("md5").update(answer.text, "utf8").digest("hex");
        if (answer.etag.replaceAll('"', "") !== md5)
          throw new Error("S3rver answered an object while it was being written; read again");
      }
      return answer;
    },
  };
}

export interface RegistryChange {
  digest: string;
  previous: string;
  added: string[];
  removed: string[];
  changed: string[];
}

/** What changed for the functions between two snapshots: channels added, removed, changed. */
export function registryChange(before: RegistrySnapshot, after: RegistrySnapshot): RegistryChange {
  const was = new Map(before.channels.map((c) => [c.address, digestOf(c)]));
  const is = new Map(after.channels.map((c) => [c.address, digestOf(c)]));
  return {
    previous: before.digest,
    digest: after.digest,
    added: [...is.keys()].filter((a) => !was.has(a)),
    removed: [...was.keys()].filter((a) => !is.has(a)),
    changed: [...is.keys()].filter((a) => was.has(a) && was.get(a) !== is.get(a)),
  };
}

function digestOf(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex");
}
