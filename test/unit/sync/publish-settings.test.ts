/**
 * Where config-sync publishes the gated registry snapshot: by default beside the project, under
 * `published/`; never a key of the project itself, whose write would start config-sync again.
 */
import { describe, expect, it } from "vitest";
import { isProjectPath, SyncConfigError, syncSettingsFromEnv } from "../../../shared/sync/index.ts";

const base = {
  SYNC_ROUTER_URLS: "amqps://interior-1:5671",
  MESH_SASL_USERNAME: "config-sync",
  MESH_SASL_PASSWORD: "secret",
};

describe("the published snapshot's key", () => {
  it("defaults to published/registry-snapshot.json under the project prefix, outside the project", () => {
    expect(syncSettingsFromEnv(base).snapshotKey).toBe("published/registry-snapshot.json");
    const prefixed = syncSettingsFromEnv({ ...base, SYNC_REGISTRY_PREFIX: "mesh/" });
    expect(prefixed.snapshotKey).toBe("mesh/published/registry-snapshot.json");
    expect(isProjectPath(prefixed.snapshotKey.slice("mesh/".length))).toBe(false);
  });

  it("REGISTRY_SNAPSHOT_KEY inside the project is refused, naming the variable", () => {
    for (const key of ["registry/snapshot.json", "topology.yaml"])
      expect(() => syncSettingsFromEnv({ ...base, REGISTRY_SNAPSHOT_KEY: key })).toThrow(
        SyncConfigError,
      );
    expect(() =>
      syncSettingsFromEnv({ ...base, REGISTRY_SNAPSHOT_KEY: "registry/snapshot.json" }),
    ).toThrow(/REGISTRY_SNAPSHOT_KEY must be outside the registry project/);
    expect(
      syncSettingsFromEnv({ ...base, REGISTRY_SNAPSHOT_KEY: "live/snapshot.json" }).snapshotKey,
    ).toBe("live/snapshot.json");
  });
});
