/**
 * Router processes never outlive the Node process that started them: one that exits
 * without stopping them (a crash, a test worker torn down) kills them on its way out. The
 * router binary here is a stand-in on PATH (a node script that reads `-c <config>` and
 * listens on the config's client port, as the real one would): what is under test is the
 * platform's handling of its processes, not the router.
 */
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../support/free-port.ts";
import { waitFor } from "../../support/wait.ts";

const PROCESSES = fileURLToPath(new URL("../../../cli/local/router-processes.ts", import.meta.url));

const STAND_IN = `#!${process.execPath}
const { readFileSync, writeFileSync } = require("node:fs");
const { createServer } = require("node:net");
// The real router skips the file's '#' comment lines before its JSON; so does this.
const text = readFileSync(process.argv[process.argv.indexOf("-c") + 1], "utf8");
const config = JSON.parse(text.replace(/^#.*$/gm, ""));
const listener = config.find(([type]) => type === "listener")[1];
createServer((socket) => socket.destroy()).listen(Number(listener.port), "127.0.0.1", () => {
  writeFileSync(process.env.STAND_IN_PID_FILE, String(process.pid));
});
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const dirs: string[] = [];
const pids: number[] = [];
afterEach(async () => {
  // A failed check leaves nothing running either.
  for (const pid of pids.splice(0)) if (alive(pid)) process.kill(pid, "SIGKILL");
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe("router processes", () => {
  it("are killed when the process that started them exits without stopping them", async () => {
    const dir = await mkdtemp(join(tmpdir(), "amqp-mesh-reaper-"));
    dirs.push(dir);
    const bin = join(dir, "bin");
    await mkdir(bin);
    await writeFile(join(bin, "qdrouterd"), STAND_IN);
    await chmod(join(bin, "qdrouterd"), 0o755);
    const pidFile = join(dir, "router.pid");
    const port = await freePort();
    const config = {
      routerId: "r",
      mode: "interior",
      flavour: "qpid-dispatch",
      entities: [
        { type: "router", attributes: { id: "r", mode: "interior" } },
        {
          type: "listener",
          attributes: { name: "amqp-mesh/listener/clients", host: "127.0.0.1", port: String(port) },
        },
      ],
    };
    // Starts the router, then leaves with an error, as a crashing `up` would.
    const script = `
      const { startRouterProcesses } = await import(${JSON.stringify(PROCESSES)});
      await startRouterProcesses("qdrouterd", [${JSON.stringify(config)}], ${JSON.stringify(join(dir, "run"))});
      console.log("started");
      process.exit(7);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, STAND_IN_PID_FILE: pidFile },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(output).toContain("started");
    expect(code).toBe(7);
    const pid = Number(await readFile(pidFile, "utf8"));
    expect(pid).toBeGreaterThan(0);
    pids.push(pid);
    await waitFor(() => !alive(pid), { timeout: 5_000, what: "the router process to be gone" });
  }, 30_000);
});
