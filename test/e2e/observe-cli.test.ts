/**
 * `amqp-mesh status`, `publish`, `tail` and `verify` run as a user runs them (child
 * processes), against the example mesh started from its generated configs — a copy on
 * reserved ports — on the emulator, or on real routers with MESH_TARGET={"engine": …}. The
 * routers are named by a --target file, the logins come from the out folder as a local `up`
 * writes it (local-users.json, sync-password).
 */

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYNC_PRINCIPAL } from "../../cli/local/platform.ts";
import { openManagement } from "../../shared/management/index.ts";
import { PROBE_PRINCIPAL, validateProject } from "../../shared/registry/index.ts";
import { type CliResult, runCli } from "../integration/cli/run-cli.ts";
import {
  copyProject,
  type Engine,
  type GeneratedRouters,
  type ProjectCopy,
  startGeneratedRouters,
} from "../support/generated-routers.ts";
import { waitForValue } from "../support/wait.ts";

const target = process.env.MESH_TARGET
  ? (JSON.parse(readFileSync(process.env.MESH_TARGET, "utf8")) as { engine?: Engine })
  : undefined;
const engine: Engine = target?.engine ?? "emulator";
const BIN = fileURLToPath(new URL("../../cli/bin.js", import.meta.url));

describe(`status, publish, tail, verify on the example mesh (${engine})`, () => {
  let project: ProjectCopy;
  let routers: GeneratedRouters;
  let out: string;
  let targetFile: string;
  const users = new Map<string, string>();
  const cli = (args: string[]) => runCli([...args, "--out", out]);
  const mesh = () => [project.dir, "--target", targetFile, "--out", out];

  beforeAll(async () => {
    project = await copyProject("examples");
    const { registry, topology } = await validateProject(project.dir);
    for (const principal of [
      SYNC_PRINCIPAL,
      PROBE_PRINCIPAL,
      ...registry!.teams.flatMap((t) => t.principals),
    ])
      users.set(principal, randomBytes(8).toString("hex"));
    routers = await startGeneratedRouters(project.dir, {
      engine,
      users,
      managementPrincipals: [SYNC_PRINCIPAL],
    });
    out = join(project.dir, "out");
    await mkdir(out, { recursive: true });
    await writeFile(
      join(out, "local-users.json"),
      JSON.stringify({ users: Object.fromEntries(users) }),
    );
    await writeFile(join(out, "sync-password"), `${users.get(SYNC_PRINCIPAL)}\n`);
    targetFile = join(project.dir, "mesh.json");
    await writeFile(
      targetFile,
      JSON.stringify({
        routers: topology!.routers.map((r) => ({ id: r.id, url: routers.url(r.id) })),
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await routers?.stop();
    await project?.cleanup();
  });

  it("status shows every router up by cloud and region, the links with costs, the channels, no drift", async () => {
    // Real routers form their mesh after they start: status until every link is up (bounded).
    const text = await waitForValue(
      async () => {
        const r = await runCli(["status", ...mesh()]);
        return / DOWN$/m.test(r.stdout) ? undefined : r;
      },
      { timeout: 30_000, interval: 500, what: "every link up in status" },
    ).catch(() => runCli(["status", ...mesh()]));
    expect(text.stderr).toBe("");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^mesh at \S+: 8\/8 routers up, 7 channels, no drift$/m);
    expect(text.stdout).toMatch(/^aws eu-west-1 \(aws-eu\)$/m);
    expect(text.stdout).toMatch(/^ {2}azure-we-edge-2\s+edge\s+up\s+up \d+/m);
    expect(text.stdout).toMatch(
      /^ {2}azure-we-interior-1 → aws-eu-interior-1\s+inter-router cost 10\s+up$/m,
    );
    const json = await runCli(["status", ...mesh(), "--json"]);
    const view = JSON.parse(json.stdout) as {
      routers: { id: string; state: string; version: string }[];
      channels: { address: string; owner: string }[];
    };
    expect(view.routers.map((r) => `${r.id} ${r.state}`).sort()).toEqual(
      routers.topology.routers.map((r) => `${r.id} up`).sort(),
    );
    expect(view.channels.map((c) => `${c.owner}:${c.address}`)).toContain("sales:sales/orders");
  }, 60_000);

  it("publish as a producer and tail as a consumer carry CloudEvents across clouds; tail prints them", async () => {
    const tail = new Promise<CliResult>((resolve) => {
      execFile(
        process.execPath,
        [
          BIN,
          "tail",
          "sales/orders",
          ...mesh().filter((a) => a !== "--target" && a !== targetFile),
          "--at",
          "azure-we-edge-2",
          "--count",
          "3",
          "--wait",
          "30000",
        ],
        { timeout: 60_000 },
        (error, stdout, stderr) =>
          resolve({
            code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
            stdout,
            stderr,
          }),
      );
    });
    const published = await cli([
      "publish",
      "sales/orders",
      project.dir,
      "--at",
      "aws-eu-edge-1",
      "--cloudevent",
      "--count",
      "3",
      "--data",
      '{"orderId":"o-7"}',
    ]);
    expect(published.stderr).toBe("");
    expect(published.stdout).toMatch(
      /^published on sales\/orders as sales-api@aws-eu-edge-1: 3\/3 accepted in \d+ ms/,
    );
    const tailed = await tail;
    expect(tailed.code).toBe(0);
    expect(tailed.stdout.match(/^── #\d sales\/orders {2}message-id cli-\S+$/gm)).toHaveLength(3);
    expect(tailed.stdout).toMatch(
      /cloudevent specversion=1\.0 id=cli-\S+ source=amqp-mesh-cli\/sales-api type=amqp-mesh\.cli\.publish/,
    );
    expect(tailed.stdout).toContain('"orderId": "o-7"');
  }, 90_000);

  it("tail --peek releases what it shows: the message is published again and another tail takes it", async () => {
    const run = (args: string[]) =>
      new Promise<CliResult>((resolve) => {
        execFile(
          process.execPath,
          [BIN, ...args, "--out", out],
          { timeout: 60_000 },
          (error, stdout, stderr) =>
            resolve({
              code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
              stdout,
              stderr,
            }),
        );
      });
    const peek = run([
      "tail",
      "sales/orders.dead",
      project.dir,
      "--at",
      "azure-we-edge-1",
      "--peek",
      "--count",
      "1",
      "--wait",
      "30000",
    ]);
    // The publisher retries a released message (same id) until a consumer accepts it.
    const published = run([
      "publish",
      "sales/orders.dead",
      project.dir,
      "--at",
      "aws-eu-edge-2",
      "--deadline",
      "30000",
      "--data",
      '{"peeked":true}',
    ]);
    const peeked = await peek;
    expect(peeked.code).toBe(0);
    const id = /^── #1 sales\/orders\.dead {2}message-id (\S+)$/m.exec(peeked.stdout)?.[1];
    expect(id).toBeDefined();
    const taken = await run([
      "tail",
      "sales/orders.dead",
      project.dir,
      "--at",
      "azure-we-edge-2",
      "--count",
      "1",
      "--wait",
      "30000",
    ]);
    expect(taken.code).toBe(0);
    expect(taken.stdout).toContain(`message-id ${id}`);
    expect(taken.stdout).toContain('"peeked": true');
    expect((await published).stdout).toMatch(/1\/1 accepted/);
  }, 90_000);

  it("publish as a principal the channel does not list is refused by the router (exit 3)", async () => {
    const refused = await cli([
      "publish",
      "billing/invoices.dead",
      project.dir,
      "--as",
      "logistics-tracker",
      "--deadline",
      "3000",
    ]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/unauthorized-access/);
    // The router's policy counted the denial; status shows it.
    const status = await runCli(["status", ...mesh(), "--json"]);
    const edge = (
      JSON.parse(status.stdout) as { routers: { id: string; denials?: { links: number } }[] }
    ).routers.find((r) => r.id === "aws-eu-edge-1");
    expect(edge?.denials?.links).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it("verify: every router up, no drift, probes delivered between every pair of regions, the probe refused on a team's channel", async () => {
    const result = await runCli(["verify", ...mesh()]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^routers: 8\/8 up$/m);
    expect(result.stdout).toMatch(/^drift: none/m);
    for (const [from, to] of [
      ["aws-eu", "aws-eu"],
      ["aws-eu", "azure-we"],
      ["azure-we", "aws-eu"],
      ["azure-we", "azure-we"],
    ])
      expect(result.stdout).toMatch(
        new RegExp(
          `^ {2}ok {3}${from} → ${to} \\(\\S+ → \\S+\\): 5/5 delivered, [\\d.]+/[\\d.]+/[\\d.]+ ms$`,
          "m",
        ),
      );
    expect(result.stdout).toMatch(
      /^authorization: ok {3}amqp-mesh-probe publishing on billing\/invoices at \S+: refused: .*unauthorized-access/m,
    );
    expect(result.stdout).toMatch(/^verify: all is well$/m);
    expect(result.code).toBe(0);
  }, 90_000);

  it("verify finds drift: an address made by hand on a router, and one the registry wants deleted", async () => {
    const session = await openManagement({
      url: routers.url("aws-eu-interior-1"),
      sasl: { mechanism: "PLAIN", username: SYNC_PRINCIPAL, password: users.get(SYNC_PRINCIPAL)! },
    });
    const wanted = (await session.management.query("address")).find(
      (a) => a.attributes.prefix === "sales/orders",
    );
    expect(wanted?.name).toBeDefined();
    try {
      await session.management.create("address", "hand-made", {
        prefix: "stray/things",
        distribution: "balanced",
      });
      await session.management.delete("address", { name: wanted!.name! });
      const result = await runCli(["verify", ...mesh()]);
      expect(result.code).toBe(3);
      expect(result.stdout).toMatch(/^drift: 2 entities$/m);
      expect(result.stdout).toMatch(
        /^ {2}aws-eu-interior-1: unwanted address hand-made \(not made by amqp-mesh: .*stray\/things/m,
      );
      expect(result.stdout).toMatch(
        new RegExp(
          `^ {2}aws-eu-interior-1: missing address ${wanted!.name} \\(prefix=sales/orders`,
          "m",
        ),
      );
      expect(result.stdout).toMatch(/^verify: problems found$/m);
      const status = await runCli(["status", ...mesh()]);
      expect(status.stdout).toMatch(/2 drifted entities/);
    } finally {
      await session.management.delete("address", { name: "hand-made" }).catch(() => undefined);
      await session.management
        .create("address", wanted!.name!, {
          prefix: wanted!.attributes.prefix,
          distribution: wanted!.attributes.distribution,
        })
        .catch(() => undefined);
      await session.close();
    }
  }, 90_000);

  it("verify and status name a router that does not answer (exit 3), and the mesh is well again once it runs", async () => {
    await routers.stopRouter("azure-we-edge-1");
    try {
      const status = await runCli(["status", ...mesh()]);
      expect(status.code).toBe(3);
      expect(status.stdout).toMatch(/^ {2}azure-we-edge-1\s+edge\s+DOWN\s+/m);
      const result = await runCli(["verify", ...mesh()]);
      expect(result.code).toBe(3);
      expect(result.stdout).toMatch(/^routers: 7\/8 up\n {2}azure-we-edge-1: DOWN/m);
    } finally {
      await routers.startRouter("azure-we-edge-1");
    }
  }, 90_000);
});
