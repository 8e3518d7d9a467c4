/**
 * The local platform as a team changes its registry while it runs: `amqp-mesh up` (the
 * emulator, in a child process) prints the `amqp-mesh sync` command for its routers; after a
 * new channel is added to the registry, that command brings the live routers to it, and a
 * message on the new channel crosses the mesh. A copy of the example on ports of its own, so
 * that it can run beside the `up` test.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { MeshClient, type ReceivedMessage } from "../../shared/amqp/index.ts";
import { tempFolders } from "../integration/cli/copy-examples.ts";
import { examplesOnFreePorts } from "../integration/cli/free-port-project.ts";
import { runCli } from "../integration/cli/run-cli.ts";
import { waitFor } from "../support/wait.ts";

const BIN = fileURLToPath(new URL("../../cli/bin.js", import.meta.url));
const folders = tempFolders();
let project: string;
let out: string;
let up: ChildProcess;
let upOutput = "";

/** The arguments of the `config-sync:` line `up` printed, without `npx amqp-mesh`. */
function printedSyncArgs(): string[] {
  const line = upOutput.split("\n").find((l) => l.startsWith("config-sync: npx amqp-mesh sync "));
  if (line === undefined) throw new Error(`up printed no config-sync line:\n${upOutput}`);
  return line.slice("config-sync: npx amqp-mesh ".length).split(" ");
}

/** The printed arguments with another --state file (the printed one is up's own). */
function withState(args: string[], file: string): string[] {
  const copy = [...args];
  copy[copy.indexOf("--state") + 1] = file;
  return copy;
}

async function addChannel(address: string): Promise<void> {
  const file = join(project, "registry", "sales.yaml");
  const doc = parse(await readFile(file, "utf8")) as { channels: unknown[] };
  doc.channels.push({
    address,
    description: "Returned orders.",
    distribution: "balanced",
    delivery: "at-least-once",
    producers: ["sales"],
    consumers: ["logistics"],
  });
  await writeFile(file, stringify(doc));
}

async function usersOf(): Promise<Record<string, string>> {
  const text = await readFile(join(out, "local-users.json"), "utf8");
  return (JSON.parse(text) as { users: Record<string, string> }).users;
}

describe("amqp-mesh up, then amqp-mesh sync against its routers", () => {
  beforeAll(async () => {
    // The example's routers on ports reserved for this test (test/support/free-port.ts).
    project = await examplesOnFreePorts(folders);
    out = join(await folders.make(), "run");
    up = spawn(process.execPath, [BIN, "up", project, "--out", out], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    up.stdout?.on("data", (chunk: Buffer) => {
      upOutput += chunk.toString();
    });
    up.stderr?.on("data", (chunk: Buffer) => {
      upOutput += chunk.toString();
    });
    await waitFor(() => upOutput.includes("local platform running") || up.exitCode !== null, {
      timeout: 60_000,
      what: "up to start the local platform",
    });
    expect(upOutput).toContain("local platform running");
  }, 70_000);

  afterAll(async () => {
    if (up !== undefined && up.exitCode === null) {
      const exited = new Promise((resolve) => up.once("exit", resolve));
      up.kill("SIGINT");
      await exited;
    }
    await folders.cleanup();
  });

  it("the printed command logs in and finds nothing to change", async () => {
    const args = printedSyncArgs();
    expect(args).toContain("--password-file");
    expect(args.filter((a) => a === "--router")).toHaveLength(8);
    const result = await runCli([...withState(args, join(out, "dry-state.json")), "--dry-run"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("8 planned, 0 failed; 0 operations");
  }, 60_000);

  it("a registry principal has no $management: sync as a team's login is refused", async () => {
    const users = await usersOf();
    const args = printedSyncArgs();
    const at = args.indexOf("--username");
    const passwordFile = join(out, "sales-password");
    await writeFile(passwordFile, `${users["sales-api"]}\n`, { mode: 0o600 });
    const asTeam = [...args];
    asTeam[at + 1] = "sales-api";
    asTeam[asTeam.indexOf("--password-file") + 1] = passwordFile;
    const result = await runCli([...withState(asTeam, join(out, "team-state.json")), "--dry-run"]);
    expect(result.code).toBe(3);
    expect(result.stdout + result.stderr).toMatch(/\$management/);
  }, 60_000);

  it("a channel added to the registry carries messages after sync, from AWS to Azure", async () => {
    await addChannel("sales/returns");
    const args = printedSyncArgs();
    const synced = await runCli(withState(args, join(out, "sync-state.json")));
    expect(synced.stderr).toBe("");
    expect(synced.code).toBe(0);
    expect(synced.stdout).toMatch(/8 synced/);

    const users = await usersOf();
    const routerUrl = (id: string): string => {
      const match = upOutput.match(new RegExp(`${id}\\s+edge\\s+(amqp://\\S+)`));
      if (match?.[1] === undefined) throw new Error(`up printed no URL for ${id}`);
      return match[1];
    };
    const consumer = new MeshClient({
      urls: [routerUrl("azure-we-edge-2")],
      sasl: {
        mechanism: "PLAIN",
        username: "logistics-tracker",
        password: users["logistics-tracker"] ?? "",
      },
    });
    const producer = new MeshClient({
      urls: [routerUrl("aws-eu-edge-1")],
      sasl: { mechanism: "PLAIN", username: "sales-api", password: users["sales-api"] ?? "" },
    });
    try {
      const received: ReceivedMessage[] = [];
      await consumer.consume("sales/returns", (m) => void received.push(m)).ready();
      // The consumer's address reaches the AWS edge through the interiors: retry until a
      // path exists (a message without one is released, not lost).
      await waitFor(
        async () => {
          try {
            await producer.publish(
              "sales/returns",
              { body: { order: "o-1" }, messageId: "return-o-1" },
              { deadline: 2_000 },
            );
            return true;
          } catch {
            return false;
          }
        },
        { timeout: 20_000, what: "a publish to sales/returns to be accepted" },
      );
      await waitFor(() => received.length > 0, { timeout: 10_000, what: "the returned order" });
      expect(received[0]?.body).toEqual({ order: "o-1" });
    } finally {
      await Promise.allSettled([consumer.close(), producer.close()]);
    }
  }, 90_000);
});
