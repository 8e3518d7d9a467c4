/**
 * Ctrl-C while `up` is still starting: it stops at once (exit 130) and leaves nothing behind —
 * not its Azurite child process (it would keep serving nobody), not the out folder's lock.
 */
import { spawn } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "../../support/wait.ts";
import { tempFolders } from "./copy-examples.ts";
import { examplesOnFreePorts } from "./free-port-project.ts";

const BIN = fileURLToPath(new URL("../../../cli/bin.js", import.meta.url));
const folders = tempFolders();
afterAll(() => folders.cleanup());

/** The pids of `parent`'s child processes whose command line names `what` (Linux /proc). */
async function childrenOf(parent: number, what: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const ppid = Number(status.slice(status.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid !== parent) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(what)) found.push(Number(entry));
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("up interrupted while starting", () => {
  it("SIGINT after the stores started: exit 130, its Azurite gone, the lock given back", async () => {
    const project = await examplesOnFreePorts(folders);
    const out = join(await folders.make(), "run");
    const up = spawn(process.execPath, [BIN, "up", project, "--out", out], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    up.stdout.on("data", (c: Buffer) => {
      output += c.toString();
    });
    up.stderr.on("data", (c: Buffer) => {
      output += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => up.once("exit", resolve));
    await waitFor(() => output.includes("✓ registry stores") || up.exitCode !== null, {
      timeout: 60_000,
      what: "up to start its stores",
    });
    const azurite = await childrenOf(up.pid!, "azurite");
    expect(azurite).toHaveLength(1);
    up.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(output).toContain("SIGINT while starting: stopping");
    await waitFor(() => !alive(azurite[0]!), { timeout: 5_000, what: "Azurite to be gone" });
    await expect(stat(join(out, "up.lock"))).rejects.toThrow(/ENOENT/);
  }, 90_000);
});
