/**
 * Registry snapshots read from a store: only project files, safe paths only, a digest that
 * names the content whatever the listing order, and validation with the store's names.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  loadSnapshot,
  MemoryObjectStore,
  makeSnapshot,
  ObjectStoreSource,
  SnapshotError,
  unsafePathReason,
} from "../../../shared/sync/index.ts";

const topology = readFileSync("examples/topology.yaml", "utf8");
const sales = readFileSync("examples/registry/sales.yaml", "utf8");

describe("snapshots", () => {
  it("keeps topology.yaml and registry/ only, and the digest does not depend on order", () => {
    const files = [
      { path: "registry/sales.yaml", content: sales },
      { path: "README.md", content: "x" },
      { path: "topology.yaml", content: topology },
    ];
    const a = makeSnapshot(files, "s3://b/");
    const b = makeSnapshot([...files].reverse(), "s3://b/");
    expect(a.files.map((f) => f.path)).toEqual(["registry/sales.yaml", "topology.yaml"]);
    expect(a.digest).toBe(b.digest);
    expect(
      makeSnapshot([{ ...files[0]!, content: `${sales}\n` }, files[2]!], "s3://b/").digest,
    ).not.toBe(a.digest);
  });

  it("refuses paths that would leave the project", () => {
    for (const path of [
      "registry/../../etc/passwd",
      "registry//x.yaml",
      "registry/./x",
      "registry/a\\b.yaml",
      "registry/x\u0000.yaml",
    ]) {
      expect(unsafePathReason(path), path).toBeDefined();
      expect(() => makeSnapshot([{ path, content: "" }], "s3://b/"), path).toThrow(SnapshotError);
    }
    // Not under registry/ at all: never written, whatever it says.
    expect(unsafePathReason("/registry/x.yaml")).toBe("the path is absolute");
    expect(makeSnapshot([{ path: "/registry/x.yaml", content: "" }], "s3://b/").files).toEqual([]);
    expect(unsafePathReason("registry/schemas/invoice.json")).toBeUndefined();
  });

  it("refuses a path listed twice", () => {
    expect(() =>
      makeSnapshot(
        [
          { path: "topology.yaml", content: "" },
          { path: "topology.yaml", content: "" },
        ],
        "m://",
      ),
    ).toThrow(/twice/);
  });

  it("refuses a path that is both a file and another path's folder, in either order", () => {
    const file = { path: "registry/sales", content: "" };
    const inside = { path: "registry/sales/orders.yaml", content: "" };
    for (const files of [
      [file, inside],
      [inside, file],
    ])
      expect(() => makeSnapshot(files, "s3://b/")).toThrow(
        "s3://b/: 'registry/sales' is a file, and 'registry/sales/orders.yaml' would need it to be a folder",
      );
    // A name that merely starts the same is no folder.
    expect(
      makeSnapshot([file, { path: "registry/sales-eu.yaml", content: "" }], "s3://b/").files,
    ).toHaveLength(2);
  });

  it("validates as `amqp-mesh validate` does; problems name the store's objects", async () => {
    const good = await loadSnapshot(
      makeSnapshot(
        [
          { path: "topology.yaml", content: topology },
          { path: "registry/sales.yaml", content: sales.replace("logistics, billing", "billing") },
        ],
        "s3://bucket/mesh/",
      ),
    );
    expect(good.registry?.channels.map((c) => c.address)).toContain("sales/orders");
    expect(good.registry?.teams[0]?.file).toBe("s3://bucket/mesh/registry/sales.yaml");
    const bad = await loadSnapshot(
      makeSnapshot(
        [
          { path: "topology.yaml", content: topology },
          {
            path: "registry/sales.yaml",
            content: sales.replace("distribution: balanced", "distribution: everywhere"),
          },
        ],
        "s3://bucket/mesh/",
      ),
    );
    const errors = bad.diagnostics.filter((d) => d.severity === "error");
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((d) => d.file.startsWith("s3://bucket/mesh/"))).toBe(true);
  });
});

describe("an object store source", () => {
  it("reads under its prefix, and its revision changes with any project object", async () => {
    const store = new MemoryObjectStore("memory://bucket/");
    await store.put("mesh/topology.yaml", topology);
    await store.put("mesh/registry/sales.yaml", sales);
    await store.put("other/registry/x.yaml", "team: x");
    await store.put("mesh/.amqp-mesh/sync-state.json", "{}");
    const source = new ObjectStoreSource(store, { prefix: "mesh/" });
    const snapshot = await source.read();
    expect(snapshot.files.map((f) => f.path)).toEqual(["registry/sales.yaml", "topology.yaml"]);
    expect(await source.revision()).toBe(snapshot.revision);
    await store.put("mesh/.amqp-mesh/sync-state.json", '{"v":2}');
    expect(await source.revision()).toBe(snapshot.revision);
    await store.put("mesh/registry/sales.yaml", `${sales}# changed\n`);
    expect(await source.revision()).not.toBe(snapshot.revision);
    expect(source.isProjectKey("mesh/registry/sales.yaml")).toBe(true);
    expect(source.isProjectKey("mesh/.amqp-mesh/sync-state.json")).toBe(false);
  });

  it("never mixes two uploads: an object rewritten during the read starts it over", async () => {
    const store = new MemoryObjectStore();
    await store.put("topology.yaml", topology);
    await store.put("registry/sales.yaml", sales);
    let reads = 0;
    const racing = Object.assign(Object.create(store) as MemoryObjectStore, {
      get: async (key: string) => {
        reads++;
        // The first read of the registry file sees a newer upload than the listing named.
        if (reads === 1) await store.put("registry/sales.yaml", `${sales}# v2\n`);
        return store.get(key);
      },
    });
    const snapshot = await new ObjectStoreSource(racing).read();
    expect(snapshot.files.find((f) => f.path === "registry/sales.yaml")?.content).toContain("# v2");
    expect(reads).toBeGreaterThan(2);
  });
});
