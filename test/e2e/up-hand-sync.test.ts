/**
 * `amqp-mesh sync` run by hand against the routers of a running `up --engine qdrouterd`: it
 * compares them as that up runs them (loopback, its certificates and SASL database), exactly
 * as up's own config-sync does, so a dry run finds every router in sync — where a sync that
 * does not know the up (another out folder) wants to rewrite the routers' sslProfiles and
 * SASL settings to the deployment's paths. Runs where qdrouterd is on PATH.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempFolders } from "../integration/cli/copy-examples.ts";
import { examplesOnFreePorts } from "../integration/cli/free-port-project.ts";
import { runCli } from "../integration/cli/run-cli.ts";
import { waitFor } from "../support/wait.ts";

const BIN = fileURLToPath(new URL("../../cli/bin.js", import.meta.url));
const onPath = (() => {
  try {
    execFileSync("sh", ["-c", "command -v qdrouterd"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const folders = tempFolders();
let project: string;
let out: string;
let up: ChildProcess;
let upOutput = "";

function routerUrls(): string[] {
  return [...upOutput.matchAll(/^\s+\S+\s+(?:interior|edge)\s+(amqps?:\/\/\S+)$/gm)].map(
    (m) => m[1] as string,
  );
}

describe.skipIf(!onPath)("amqp-mesh sync by hand against up on qdrouterd", () => {
  beforeAll(async () => {
    project = await examplesOnFreePorts(folders);
    out = join(await folders.make(), "run");
    up = spawn(process.execPath, [BIN, "up", project, "--engine", "qdrouterd", "--out", out], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    up.stdout?.on("data", (chunk: Buffer) => {
      upOutput += chunk.toString();
    });
    up.stderr?.on("data", (chunk: Buffer) => {
      upOutput += chunk.toString();
    });
    await waitFor(() => upOutput.includes("local platform running") || up.exitCode !== null, {
      timeout: 120_000,
      what: "up to start the local platform",
    });
    expect(upOutput).toContain("local platform running");
    expect(routerUrls()).toHaveLength(8);
  }, 130_000);

  afterAll(async () => {
    if (up !== undefined && up.exitCode === null) {
      const exited = new Promise((resolve) => up.once("exit", resolve));
      up.kill("SIGINT");
      await exited;
    }
    await folders.cleanup();
  });

  const sync = (outDir: string) =>
    runCli([
      "sync",
      project,
      "--router",
      routerUrls().join(","),
      "--username",
      "amqp-mesh-sync",
      "--password-file",
      join(out, "sync-password"),
      "--out",
      outDir,
      "--dry-run",
    ]);

  it("with up's out folder: compared as up runs them, every router in sync (exit 0)", async () => {
    const result = await sync(out);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `the up running on ${out} (pid ${up.pid}, qdrouterd) started these routers: compared as it runs them`,
    );
    expect(
      result.stdout.match(/: (?:in sync, nothing to do|would create 0, update 0, delete 0)$/gm),
    ).toHaveLength(8);
    expect(result.stdout).not.toMatch(/sslProfile/);
  }, 60_000);

  it("not knowing the up: the sslProfiles look changed (what the out folder is for)", async () => {
    const result = await sync(join(await folders.make(), "elsewhere"));
    expect(result.stdout).not.toContain("the up running on");
    expect(result.stdout).toMatch(/sslProfile/);
  }, 60_000);
});
