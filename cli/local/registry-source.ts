/**
 * Where the local platform's ingress and triggers get their registry: the one seam between
 * them and the registry's source. Today it is the last registry both clouds' config-sync
 * accepted, handed over in this process after each accepted run (`accept`): the handlers hold
 * a view that reads the current one, so an accepted change is enforced by the very next
 * request or batch, and a refused one never reaches them. When the handlers learn the
 * registry from the store themselves (config-sync's published snapshot, polled by ETag), this
 * module only hands them the store: `functionRegistryEnv` already names it the way the
 * deployed functions read it.
 */
import { createHash } from "node:crypto";
import type { ChannelRegistry } from "../../shared/registry/index.ts";
import {
  type DeployedChannel,
  DeployedRegistry,
  type RegistrySnapshot,
  runtimeValidators,
  snapshotRegistry,
} from "../../shared/registry-snapshot/index.ts";
import { type ChannelCatalog, channelCatalog } from "../../shared/trigger/index.ts";

/** The key config-sync publishes the gated snapshot under, in the bucket and the container. */
export const REGISTRY_SNAPSHOT_KEY = "published/registry-snapshot.json";

/** A DeployedRegistry whose every answer comes from the source's current snapshot. */
class CurrentRegistry extends DeployedRegistry {
  constructor(source: () => DeployedRegistry) {
    super({ format: 1, digest: "", teams: [], channels: [] } as unknown as RegistrySnapshot);
    Object.defineProperty(this, "digest", { get: () => source().digest });
    this.channel = (address) => source().channel(address);
    this.allChannels = () => source().allChannels();
    this.isPrincipal = (name) => source().isPrincipal(name);
    this.mayProduce = (principal: string, channel: DeployedChannel) =>
      source().mayProduce(principal, channel);
  }
}

export interface RegistryChange {
  digest: string;
  previous: string;
  added: string[];
  removed: string[];
  changed: string[];
}

export class LocalRegistrySource {
  #registry: DeployedRegistry;
  #catalog: ChannelCatalog;
  #snapshot: RegistrySnapshot;
  readonly #validators = runtimeValidators();
  /** What the ingress holds: always the accepted registry of the moment. */
  readonly registry: DeployedRegistry;
  /** What the triggers hold (payload checks, publish rights), likewise. */
  readonly catalog: ChannelCatalog;

  constructor(registry: ChannelRegistry) {
    this.#snapshot = snapshotRegistry(registry);
    this.#registry = new DeployedRegistry(this.#snapshot);
    this.#catalog = channelCatalog(this.#snapshot, this.#validators);
    this.registry = new CurrentRegistry(() => this.#registry);
    const current = () => this.#catalog;
    this.catalog = {
      get digest() {
        return current().digest;
      },
      channel: (address) => current().channel(address),
    };
  }

  get digest(): string {
    return this.#snapshot.digest;
  }

  /** Takes a registry config-sync accepted; says what changed for the handlers. */
  accept(registry: ChannelRegistry): RegistryChange {
    const next = snapshotRegistry(registry);
    const before = new Map(this.#snapshot.channels.map((c) => [c.address, digestOf(c)]));
    const after = new Map(next.channels.map((c) => [c.address, digestOf(c)]));
    const change: RegistryChange = {
      previous: this.#snapshot.digest,
      digest: next.digest,
      added: [...after.keys()].filter((a) => !before.has(a)),
      removed: [...before.keys()].filter((a) => !after.has(a)),
      changed: [...after.keys()].filter((a) => before.has(a) && before.get(a) !== after.get(a)),
    };
    // Swapped as a whole: a request sees the old registry or the new one, never a mix.
    this.#snapshot = next;
    this.#registry = new DeployedRegistry(next);
    this.#catalog = channelCatalog(next, this.#validators);
    return change;
  }
}

function digestOf(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex");
}

/** The store as the deployed functions will read it (AWS: bucket; Azure: container). */
export function functionRegistryEnv(
  store:
    | { cloud: "aws"; bucket: string; endpoint: string }
    | { cloud: "azure"; container: string; connectionString: string },
): Record<string, string> {
  return store.cloud === "aws"
    ? {
        REGISTRY_BUCKET: store.bucket,
        REGISTRY_SNAPSHOT_KEY,
        AWS_ENDPOINT_URL_S3: store.endpoint,
      }
    : {
        REGISTRY_BLOB_CONTAINER: store.container,
        REGISTRY_BLOB_CONNECTION_STRING: store.connectionString,
      };
}
