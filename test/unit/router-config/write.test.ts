import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  generateRouterConfigs,
  parseConfFile,
  parseJsonFile,
  readRouterConfigs,
  SASL_CONFIG_FILE,
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
        sslProfile: 1,
        listener: 3,
        connector: 1,
        policy: 1,
        // $default for clients, amqp-mesh-routers for the edge routers
        vhost: 2,
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

describe("writeRouterConfigs over an earlier run", () => {
  const { configs } = generateRouterConfigs(loadExampleRegistry(), loadExampleTopology());
  it("removes the files of routers and formats the new run does not write, and reads back only the new set", async () => {
    const dir = await mkdtemp(join(tmpdir(), "router-config-"));
    dirs.push(dir);
    await writeRouterConfigs(configs, dir, { format: "conf" });
    const fewer = configs.filter((c) => c.routerId !== "aws-eu-edge-2");
    await writeRouterConfigs(fewer, dir, { format: "json" });
    const files = (await readdir(dir)).filter((f) => f.endsWith(".conf") || f.endsWith(".json"));
    expect(files.sort()).toEqual([...fewer.map((c) => `${c.routerId}.json`), SUMMARY_FILE].sort());
    expect(await readRouterConfigs(dir)).toEqual(fewer);
  });

  it("leaves files it did not write alone, and writes the SASL config when given one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "router-config-"));
    dirs.push(dir);
    await writeFile(join(dir, "notes.json"), "{}");
    await writeRouterConfigs(configs, dir, { format: "json", saslConfig: "mech_list: PLAIN\n" });
    await writeRouterConfigs(configs, dir, { format: "conf" });
    expect(await readFile(join(dir, "notes.json"), "utf8")).toBe("{}");
    expect(await readFile(join(dir, SASL_CONFIG_FILE), "utf8")).toBe("mech_list: PLAIN\n");
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
