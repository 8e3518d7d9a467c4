import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  generateRouterConfigs,
  parseConfFile,
  parseJsonFile,
  readRouterConfigs,
  SUMMARY_FILE,
  writeRouterConfigs,
} from "../../../shared/router-config/index.ts";
import { loadExampleRegistry, loadExampleTopology } from "./example-project.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe("writeRouterConfigs", () => {
  const { configs } = generateRouterConfigs(loadExampleRegistry(), loadExampleTopology());

  it("writes both formats per router and a summary of entity counts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "router-config-"));
    dirs.push(dir);
    const out = join(dir, "nested/out");
    const summary = await writeRouterConfigs(configs, out, { format: "both" });
    const files = (await readdir(out)).sort();
    expect(files).toHaveLength(configs.length * 2 + 1);
    expect(files).toContain(SUMMARY_FILE);
    expect(JSON.parse(await readFile(join(out, SUMMARY_FILE), "utf8"))).toEqual(summary);
    const interior = summary.routers.find((r) => r.routerId === "aws-eu-interior-1")!;
    expect(interior).toEqual({
      routerId: "aws-eu-interior-1",
      mode: "interior",
      flavour: "qpid-dispatch",
      files: ["aws-eu-interior-1.conf", "aws-eu-interior-1.json"],
      entityCounts: {
        router: 1,
        listener: 3,
        connector: 1,
        policy: 1,
        vhost: 1,
        address: 7,
        linkRoute: 2,
      },
    });
    for (const config of configs) {
      expect(parseConfFile(await readFile(join(out, `${config.routerId}.conf`), "utf8"))).toEqual(
        config,
      );
      expect(parseJsonFile(await readFile(join(out, `${config.routerId}.json`), "utf8"))).toEqual(
        config,
      );
    }
  });

  it("writes one format when asked", async () => {
    const dir = await mkdtemp(join(tmpdir(), "router-config-"));
    dirs.push(dir);
    await writeRouterConfigs(configs, dir, { format: "json" });
    expect((await readdir(dir)).filter((f) => f.endsWith(".conf"))).toEqual([]);
  });
});

describe("readRouterConfigs", () => {
  const { configs } = generateRouterConfigs(loadExampleRegistry(), loadExampleTopology(), {
    flavour: "skupper-router",
  });

  it("reads back what writeRouterConfigs wrote, in either format", async () => {
    for (const format of ["conf", "json", "both"] as const) {
      const dir = await mkdtemp(join(tmpdir(), "router-config-"));
      dirs.push(dir);
      await writeRouterConfigs(configs, dir, { format });
      expect(await readRouterConfigs(dir)).toEqual(configs);
    }
  });

  it("names the file in parse errors", async () => {
    const dir = await mkdtemp(join(tmpdir(), "router-config-"));
    dirs.push(dir);
    await writeFile(join(dir, "broken.conf"), "router {\n    id: x\n");
    await expect(readRouterConfigs(dir)).rejects.toThrow(
      /broken\.conf: line 1: section 'router' is never closed/,
    );
  });
});
