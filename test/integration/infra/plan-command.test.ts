/**
 * `amqp-mesh infra plan` as a user runs it: the JSON on the example project lists both
 * clouds' resources, a changed topology changes exactly what it should, and bad input gets
 * a clear error and the right exit code.
 */

import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { placeholderImage } from "../../../infra/project.ts";
import { Topology } from "../../../shared/topology/index.ts";

const BIN = fileURLToPath(new URL("../../../cli/bin.js", import.meta.url));
const EXAMPLES = fileURLToPath(new URL("../../../examples", import.meta.url));

interface Planned {
  environment: string;
  cloud: string;
  type: string;
  name: string;
  properties: Record<string, unknown>;
}
interface PlanJson {
  environments: { name: string; cloud: string; region: string; warnings: string[] }[];
  resources: Planned[];
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { timeout: 180_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
          stdout,
          stderr,
        });
      },
    );
  });
}

const exampleTopology = Topology.parse(
  parse(await readFile(join(EXAMPLES, "topology.yaml"), "utf8")),
);
let example: PlanJson;
let changedDir: string;
beforeAll(async () => {
  const run = await cli(["infra", "plan", EXAMPLES, "--json"]);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  example = JSON.parse(run.stdout);
  changedDir = await mkdtemp(join(tmpdir(), "amqp-mesh-infra-plan-"));
  await cp(EXAMPLES, changedDir, { recursive: true });
}, 240_000);
afterAll(async () => {
  await rm(changedDir, { recursive: true, force: true });
});

const count = (plan: PlanJson, type: string, environment: string) =>
  plan.resources.filter((r) => r.type === type && r.environment === environment).length;

describe("amqp-mesh infra plan", { timeout: 240_000 }, () => {
  it("lists both clouds' resources for the example, with type tokens, names and key properties", () => {
    expect(example.environments.map((e) => e.cloud).sort()).toEqual(["aws", "azure"]);
    for (const env of exampleTopology.environments) {
      const routers = exampleTopology.routers.filter((r) => r.environment === env.name);
      const type =
        env.cloud === "aws" ? "aws:ecs/service:Service" : "azure-native:app:ContainerApp";
      expect(count(example, type, env.name), env.name).toBe(routers.length);
    }
    const service = example.resources.find(
      (r) => r.type === "aws:ecs/taskDefinition:TaskDefinition",
    )!;
    // No stack config here: the router image shows as the placeholder, and each environment
    // says what to set before `pulumi up` (which refuses to run without it).
    expect(service.properties).toMatchObject({
      image: placeholderImage(exampleTopology.flavour),
      ports: expect.any(Array),
    });
    for (const env of example.environments)
      expect(env.warnings, env.name).toContainEqual(
        expect.stringMatching(
          new RegExp(`^amqp-mesh:images\\.${exampleTopology.flavour} is not set`),
        ),
      );
    const rule = example.resources.find(
      (r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    )!;
    expect(rule.properties).toEqual({
      port: expect.any(Number),
      from: expect.any(String),
      to: expect.any(String),
    });
    for (const r of example.resources) expect(r.type).toMatch(/^(aws|azure-native|pulumi):/);
  });

  it("follows a changed topology: one more edge router on Azure is one more Container App, with its identity and secrets", async () => {
    const topology = parse(await readFile(join(changedDir, "topology.yaml"), "utf8"));
    topology.routers.push({
      id: "azure-we-edge-3",
      environment: "azure-we",
      mode: "edge",
      host: "127.0.0.1",
      uplinks: ["azure-we-interior-1", "azure-we-interior-2"],
      listeners: { clients: { port: 17241 } },
    });
    await writeFile(join(changedDir, "topology.yaml"), stringify(topology));
    const run = await cli(["infra", "plan", changedDir, "--json", "--cloud", "azure"]);
    expect(run.code, run.stderr).toBe(0);
    const changed: PlanJson = JSON.parse(run.stdout);
    expect(changed.environments.map((e) => e.name)).toEqual(["azure-we"]);
    expect(changed.resources.every((r) => r.cloud === "azure")).toBe(true);
    const before = example.resources.filter((r) => r.environment === "azure-we");
    const added = changed.resources.filter(
      (r) => !before.some((b) => b.type === r.type && b.name === r.name),
    );
    expect(added.map((r) => r.type).sort()).toEqual(
      [
        "azure-native:app:ContainerApp",
        "azure-native:managedidentity:UserAssignedIdentity",
        // its own certificate and key, and the right to read each secret it mounts
        "azure-native:keyvault:Secret",
        "azure-native:keyvault:Secret",
        ...Array(4).fill("azure-native:authorization:RoleAssignment"),
      ].sort(),
    );
    const app = added.find((r) => r.type === "azure-native:app:ContainerApp")!;
    expect(app.name).toBe("azure-we-edge-3");
    expect(app.properties).toMatchObject({
      ingress: { ports: [{ port: 17241, external: false }] },
      connectors: [
        { role: "edge", host: "azure-we-interior-1", port: 17203, tls: true },
        { role: "edge", host: "azure-we-interior-2", port: 17213, tls: true },
      ],
    });
    // Config-sync now also manages the new router.
    const sync = changed.resources.find(
      (r) => r.type === "azure-native:web:WebApp" && r.name.endsWith("config-sync"),
    );
    expect(sync?.properties.settings).toContain("SYNC_ROUTER_URLS");
  });

  it("refuses an invalid project with its errors (exit 1) and a wrong --cloud as a usage error (exit 2)", async () => {
    const invalid = await mkdtemp(join(tmpdir(), "amqp-mesh-infra-plan-"));
    try {
      await cp(EXAMPLES, invalid, { recursive: true });
      const topology = parse(await readFile(join(invalid, "topology.yaml"), "utf8"));
      topology.links.push({ from: "aws-eu-interior-1", to: "nowhere-1", cost: 1 });
      await writeFile(join(invalid, "topology.yaml"), stringify(topology));
      const run = await cli(["infra", "plan", invalid, "--json"]);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/nothing is deployed/);
      expect(run.stderr).toMatch(/topology\.yaml:\d+:\d+: error: .*nowhere-1/);
    } finally {
      await rm(invalid, { recursive: true, force: true });
    }
    const usage = await cli(["infra", "plan", EXAMPLES, "--cloud", "gcp"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--cloud must be one of aws, azure/);
  });
});
