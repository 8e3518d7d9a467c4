/**
 * Where an AWS function (the ingress, a trigger) reads the published registry from: the
 * bucket REGISTRY_BUCKET names (shared/registry-snapshot/README.md, "Live registry"). The S3
 * client is imported only when a bucket is named, and only after init (a chunk of its own).
 */
import type { SnapshotStore } from "../../shared/registry-snapshot/index.ts";

export function awsSnapshotStore(
  env: Readonly<Record<string, string | undefined>>,
): (() => Promise<SnapshotStore>) | undefined {
  if (!env.REGISTRY_BUCKET) return undefined;
  return async () => (await import("./registry-store.ts")).s3SnapshotStoreFromEnv(env);
}
