/**
 * Where an Azure function (the ingress, a trigger) reads the published registry from: the
 * container REGISTRY_BLOB_CONTAINER names (shared/registry-snapshot/README.md, "Live
 * registry"). The Blob client is imported only when a container is named, and only after
 * init (a chunk of its own).
 */
import type { SnapshotStore } from "../../shared/registry-snapshot/index.ts";

export function azureSnapshotStore(
  env: Readonly<Record<string, string | undefined>>,
): (() => Promise<SnapshotStore>) | undefined {
  if (!env.REGISTRY_BLOB_CONTAINER) return undefined;
  return async () => (await import("./registry-store.ts")).blobSnapshotStoreFromEnv(env);
}
