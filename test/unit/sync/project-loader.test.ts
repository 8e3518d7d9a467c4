/**
 * What the incremental loader does file by file: a warm load parses and checks only what
 * changed (a document, or the documents naming a changed schema file), unchanged files give
 * the very same channels (so the breaking-change check skips them), and the cache stays
 * within its limits.
 */
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { findBreakingChanges } from "../../../shared/registry/index.ts";
import { makeSnapshot, type ProjectFile, ProjectLoader } from "../../../shared/sync/index.ts";

const topology = stringify({
  environments: [{ name: "env-a", cloud: "local", region: "here" }],
  routers: [
    {
      id: "int-a1",
      environment: "env-a",
      mode: "interior",
      host: "127.0.0.1",
      listeners: { clients: { port: 20001 } },
    },
  ],
});

function team(n: number, channels = 3, extra: Record<string, unknown> = {}): ProjectFile {
  return {
    path: `registry/team-${n}.yaml`,
    content: stringify({
      team: `team-${n}`,
      principals: [`svc-${n}`],
      channels: Array.from({ length: channels }, (_, i) => ({
        address: `team-${n}/channel-${i}`,
        description: "A channel.",
        producers: [`team-${n}`],
        consumers: [`team-${n}`],
        ...extra,
      })),
    }),
  };
}

const project = (files: ProjectFile[]) =>
  makeSnapshot([{ path: "topology.yaml", content: topology }, ...files], "s3://bucket/");

describe("ProjectLoader", () => {
  it("a warm load parses and checks only the changed document", async () => {
    const loader = new ProjectLoader();
    const teams = Array.from({ length: 10 }, (_, n) => team(n));
    const first = await loader.load(project(teams));
    expect(loader.lastLoad.parsed).toHaveLength(11);
    teams[3] = team(3, 4);
    const second = await loader.load(project(teams));
    expect(loader.lastLoad.parsed).toEqual(["registry/team-3.yaml"]);
    expect(loader.lastLoad.reused).toHaveLength(10);
    expect(second.registry?.channels).toHaveLength(31);
    // Unchanged documents give the same channels: nothing of them is compared again.
    const unchanged = second.registry!.channels.filter((c) => c.owner !== "team-3");
    for (const channel of unchanged) expect(first.registry!.channels).toContain(channel);
    expect(findBreakingChanges(first.registry!, second.registry!)).toEqual([]);
  });

  it("a changed schema file: the documents naming it are checked again, the others not", async () => {
    const loader = new ProjectLoader();
    const schema = (required: string[]) => ({
      path: "registry/schemas/order.json",
      content: JSON.stringify({ type: "object", required }),
    });
    const files = [team(1, 1, { schemaFile: "schemas/order.json" }), team(2), schema(["id"])];
    await loader.load(project(files));
    const loaded = await loader.load(project([files[0]!, files[1]!, schema(["id", "total"])]));
    expect(loader.lastLoad.parsed).toEqual(["registry/team-1.yaml"]);
    expect(loaded.registry?.channels[0]?.payloadSchema).toEqual({
      type: "object",
      required: ["id", "total"],
    });
    // Gone: the document names a file that is not there any more.
    const gone = await loader.load(project([files[0]!, files[1]!]));
    expect(gone.diagnostics.map((d) => d.code)).toContain("registry/schema-file-missing");
    expect(gone.diagnostics.find((d) => d.code === "registry/schema-file-missing")?.message).toBe(
      "schemaFile 'schemas/order.json' does not exist (looked for s3://bucket/registry/schemas/order.json)",
    );
  });

  it.each([
    ["by '..'", "../../etc/passwd"],
    ["by an absolute path", "/etc/passwd"],
    ["by '..' after a folder", "schemas/../../../secret.json"],
  ])(
    "a schemaFile outside the project (%s) is reported as outside, not as missing",
    async (_how, schemaFile) => {
      const loaded = await new ProjectLoader().load(project([team(1, 1, { schemaFile })]));
      const found = loaded.diagnostics.filter((d) => d.code.startsWith("registry/schema-file-"));
      expect(found.map((d) => d.code)).toEqual(["registry/schema-file-outside"]);
      expect(found[0]?.message).toContain("outside the project s3://bucket/");
      expect(found[0]?.message).not.toContain("does not exist");
    },
  );

  it("keeps no more files and text than its limits, the least recently used going first", async () => {
    const loader = new ProjectLoader({ files: 4 });
    for (let version = 0; version < 5; version++) {
      await loader.load(project(Array.from({ length: 6 }, (_, n) => team(n, 2 + version))));
      expect(loader.keptFiles).toBeLessThanOrEqual(4);
    }
    const small = new ProjectLoader({ bytes: 1_000 });
    await small.load(project(Array.from({ length: 6 }, (_, n) => team(n, 5))));
    expect(small.keptFiles).toBeLessThanOrEqual(2);
  });
});
