/**
 * `amqp-mesh sync` as a user runs it: the real command in a child process against an
 * interior and an edge started from the example's generated configs (the emulator, in this
 * process, over TCP), logging in as config-sync with the password from the environment.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import {
  copyProject,
  type GeneratedRouters,
  type ProjectCopy,
  startGeneratedRouters,
} from "../../support/generated-routers.ts";
import { type ManagementTap, startManagementTap } from "../../support/management-tap.ts";
import { runCli } from "./run-cli.ts";

const PASSWORD = "sync-cli-secret";
const users = new Map([["config-sync", PASSWORD]]);
const env = { MESH_SASL_USERNAME: "config-sync", MESH_SASL_PASSWORD: PASSWORD };

let project: ProjectCopy;
let routers: GeneratedRouters;
let taps: ManagementTap[];
let stateFile: string;

async function addReturnsChannel(): Promise<void> {
  const file = join(project.dir, "registry", "sales.yaml");
  const doc = parse(await readFile(file, "utf8")) as { channels: unknown[] };
  doc.channels.push({
    address: "sales/returns",
    description: "Returned orders.",
    distribution: "balanced",
    delivery: "at-least-once",
    producers: ["sales"],
    consumers: ["logistics"],
  });
  await writeFile(file, stringify(doc));
}

const routerArgs = () => taps.flatMap((t) => ["--router", t.url]);

describe("amqp-mesh sync", () => {
  beforeAll(async () => {
    project = await copyProject("examples");
    routers = await startGeneratedRouters(project.dir, {
      engine: "emulator",
      users,
      managementPrincipals: ["config-sync"],
      only: ["aws-eu-interior-1", "aws-eu-edge-1"],
    });
    taps = [
      await startManagementTap(routers.url("aws-eu-interior-1")),
      await startManagementTap(routers.url("aws-eu-edge-1")),
    ];
    stateFile = join(project.dir, "sync-state.json");
    await addReturnsChannel();
  });
  afterAll(async () => {
    for (const tap of taps ?? []) await tap.close();
    await routers?.stop();
    await project?.cleanup();
  });
  beforeEach(() => {
    for (const tap of taps) tap.reset();
  });

  it("--dry-run prints each router's plan and changes nothing (exit 0)", async () => {
    const result = await runCli(
      ["sync", project.dir, ...routerArgs(), "--dry-run", "--state", stateFile],
      undefined,
      env,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "+ address amqp-mesh/address/sales/returns (prefix=sales/returns, distribution=balanced)",
    );
    expect(result.stdout).toContain(
      "~ vhost amqp-mesh/vhost/$default: groups (UPDATE; applies to connections opened after it)",
    );
    expect(result.stdout).toMatch(
      /dry run: 2 router\(s\).*4 operations \(2 create, 2 update, 0 delete\)/,
    );
    expect(taps.flatMap((t) => t.writes())).toEqual([]);
  });

  it("applies the plan, says what it did (exit 0), and the next run has nothing to do", async () => {
    const first = await runCli(
      ["sync", project.dir, ...routerArgs(), "--state", stateFile],
      undefined,
      env,
    );
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /aws-eu-interior-1 \(amqp:\/\/127\.0\.0\.1:\d+\): synced — 2 operations/,
    );
    expect(taps.flatMap((t) => t.writes()).map((w) => w.operation)).toEqual([
      "CREATE",
      "UPDATE",
      "CREATE",
      "UPDATE",
    ]);
    for (const tap of taps) tap.reset();
    const second = await runCli(
      ["sync", project.dir, ...routerArgs(), "--state", stateFile, "--json"],
      undefined,
      env,
    );
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout) as {
      outcome: string;
      totals: { operations: number; unchanged: number };
    };
    expect(report).toMatchObject({ outcome: "ok", totals: { operations: 0, unchanged: 2 } });
    expect(taps.flatMap((t) => t.writes())).toEqual([]);
    for (const output of [first.stdout, first.stderr, second.stdout])
      expect(output).not.toContain(PASSWORD);
  });

  it("an invalid registry: exit 1, the problem with file and line, no request sent", async () => {
    const broken = await copyProject(project.dir);
    try {
      await writeFile(
        join(broken.dir, "registry", "sales.yaml"),
        (await readFile(join(project.dir, "registry", "sales.yaml"), "utf8")).replace(
          "distribution: multicast",
          "distribution: sideways",
        ),
      );
      const result = await runCli(
        ["sync", broken.dir, ...routerArgs(), "--state", join(broken.dir, "state.json")],
        undefined,
        env,
      );
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/REFUSED \(invalid\); no router was changed/);
      expect(result.stdout).toMatch(/registry\/sales\.yaml:\d+:\d+: error:/);
      expect(taps.flatMap((t) => t.requests)).toEqual([]);
    } finally {
      await broken.cleanup();
    }
  });

  it("an unreachable router: exit 3 naming it; the other router is still synced", async () => {
    const result = await runCli(
      [
        "sync",
        project.dir,
        "--router",
        "amqp://127.0.0.1:1",
        "--router",
        taps[0]!.url,
        "--state",
        join(project.dir, "other-state.json"),
      ],
      undefined,
      env,
    );
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/amqp:\/\/127\.0\.0\.1:1: FAILED — .*(reach|connect)/i);
    expect(result.stdout).toMatch(/aws-eu-interior-1 .*: in sync, nothing to do/);
  });

  it("usage errors exit 2: no --router, no password for the user", async () => {
    const noRouter = await runCli(["sync", project.dir], undefined, env);
    expect(noRouter.code).toBe(2);
    expect(noRouter.stderr).toMatch(/sync needs --router <url>/);
    const noPassword = await runCli([
      "sync",
      project.dir,
      ...routerArgs(),
      "--username",
      "config-sync",
    ]);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toMatch(
      /no password for 'config-sync': set MESH_SASL_PASSWORD or give --password-file/,
    );
  });
});
