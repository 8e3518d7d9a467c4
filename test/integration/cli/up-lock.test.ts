/**
 * `amqp-mesh up` on an out folder another `up` holds, and the commands `up` prints: the
 * second run is refused before it writes anything (the first's passwords still log in, its
 * printed curl still gets its 202, run as printed); a lock left by a run that is
 * gone is taken over; `--once` prints nothing that is no longer true once it has stopped.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forTheStory } from "../../support/example-functions.ts";
import { deleteQueues, probeRabbitMq } from "../../support/rabbitmq.ts";
import { waitFor } from "../../support/wait.ts";
import { tempFolders } from "./copy-examples.ts";
import { examplesOnFreePorts } from "./free-port-project.ts";
import { runCli } from "./run-cli.ts";

const BIN = fileURLToPath(new URL("../../../cli/bin.js", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const COMMANDS = ["validate", "generate", "diff", "sync", "emulator", "up", "bridge", "status"];
const folders = tempFolders();
const rabbit = await probeRabbitMq();

/** Every file under a folder with its bytes and modification time. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const info = await stat(path);
    files.set(path, `${info.mtimeMs} ${(await readFile(path)).toString("base64")}`);
  }
  return files;
}

/** Commands named in output: `npx amqp-mesh <command>`, and any `amqp-mesh <word>` not behind npx. */
function printedCommands(output: string): { viaNpx: string[]; bare: string[] } {
  const viaNpx = [...output.matchAll(/npx amqp-mesh ([a-z-]+)/g)].map((m) => m[1]!);
  const bare = [...output.matchAll(/(?<!npx )\bamqp-mesh ([a-z-]+)\b(?!:)/g)].map((m) => m[0]);
  return { viaNpx, bare };
}

function runShell(line: string, cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", line], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      output += c.toString();
    });
    child.once("exit", (code) => resolve({ code: code ?? -1, output }));
  });
}

describe("a running up and a second up on its out folder", () => {
  let project: string;
  let out: string;
  let first: ChildProcess;
  let firstOutput = "";
  let firstQueue = "";

  beforeAll(async () => {
    project = await examplesOnFreePorts(folders);
    firstQueue = await forTheStory(project);
    out = join(await folders.make(), "run");
    first = spawn(process.execPath, [BIN, "up", project, "--out", out], {
      cwd: ROOT,
      // The printed curl's order is accepted once its invoice is: through RabbitMQ.
      env: { ...process.env, RABBIT_PASSWORD: "guest" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    first.stdout?.on("data", (c: Buffer) => {
      firstOutput += c.toString();
    });
    first.stderr?.on("data", (c: Buffer) => {
      firstOutput += c.toString();
    });
    await waitFor(() => firstOutput.includes("local platform running") || first.exitCode !== null, {
      timeout: 120_000,
      what: "the first up to start",
    });
    expect(firstOutput).toContain("local platform running");
  }, 150_000);

  afterAll(async () => {
    if (first !== undefined && first.exitCode === null) {
      const exited = new Promise((resolve) => first.once("exit", resolve));
      first.kill("SIGINT");
      await exited;
    }
    if (firstQueue !== "") await deleteQueues(firstQueue).catch(() => undefined);
    await folders.cleanup();
  });

  it("holds a lock naming itself in its out folder", async () => {
    const lock = JSON.parse(await readFile(join(out, "up.lock"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(lock).toMatchObject({ pid: first.pid, engine: "emulator", project });
  });

  it("the second up is refused (exit 3, naming the first) and the first's files are untouched", async () => {
    const before = await snapshot(out);
    const second = await runCli(["up", project, "--once", "--out", out]);
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(
      new RegExp(`in use by another amqp-mesh up \\(pid ${first.pid}, engine emulator`),
    );
    expect(second.stdout).not.toMatch(/generated|round trip/);
    expect(await snapshot(out)).toEqual(before);
  }, 120_000);

  it("prints only commands that run: npx amqp-mesh <an existing command>; the curl line gets its 202 as printed", async () => {
    const { viaNpx, bare } = printedCommands(firstOutput);
    expect(bare).toEqual([]);
    for (const name of viaNpx) expect(COMMANDS).toContain(name);
    const line = firstOutput.split("\n").find((l) => l.trimStart().startsWith("curl "));
    expect(line, firstOutput).toBeDefined();
    // As a user runs it: through the shell, from where up was started.
    const result = await runShell(line!.trim(), ROOT);
    expect(result.output).toMatch(/^HTTP\/1\.1 202 Accepted/m);
    expect(result.code, result.output).toBe(0);
  }, 180_000);

  it("a clean stop (Ctrl-C) exits 0 and gives the lock back", async () => {
    const exited = new Promise<number | null>((resolve) => first.once("exit", resolve));
    first.kill("SIGINT");
    expect(await exited).toBe(0);
    await expect(stat(join(out, "up.lock"))).rejects.toThrow(/ENOENT/);
  }, 60_000);
});

describe("a lock left behind and --once", () => {
  it("takes over a lock whose process is gone, with a notice; --once prints no URL or command", async () => {
    const project = await examplesOnFreePorts(folders);
    const queue = await forTheStory(project);
    const out = join(await folders.make(), "run");
    const gone = spawn(process.execPath, ["-e", "0"]);
    await new Promise((resolve) => gone.once("exit", resolve));
    await mkdir(out, { recursive: true });
    await writeFile(
      join(out, "up.lock"),
      JSON.stringify({
        pid: gone.pid,
        engine: "qdrouterd",
        startedAt: "2026-01-01T00:00:00Z",
        project,
      }),
    );
    const result = await runCli(["up", project, "--once", "--out", out], ROOT, {
      RABBIT_PASSWORD: "guest",
    });
    await deleteQueues(queue).catch(() => undefined);
    expect(result.stderr).toBe("");
    // Exit 0 only when every step of the story held; the invoice's step needs RabbitMQ.
    expect(result.code, result.stdout).toBe(rabbit.reachable ? 0 : 3);
    expect(result.stdout).toContain(
      `notice: taking over ${join(out, "up.lock")} of pid ${gone.pid} (qdrouterd`,
    );
    expect(result.stdout).toMatch(/round trip: .* accepted and received/);
    // The platform is gone when --once returns: no ingress URL, no command to run against it.
    expect(result.stdout).not.toMatch(/http:\/\/|npx amqp-mesh|amqp-mesh sync|PLAIN users/);
    await expect(stat(join(out, "up.lock"))).rejects.toThrow(/ENOENT/);
  }, 180_000);
});
