/**
 * Reserved test ports: no two processes get the same one, none comes from the range the
 * system hands out by itself, a port something listens on is not handed out, and a lock
 * left by a process that is gone is taken over.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  heldPorts,
  PORT_LOCK_DIR,
  releasePort,
  releasePorts,
  reservablePortRange,
  reservePort,
  reservePorts,
  reserveThisPort,
} from "../../support/free-port.ts";

const MODULE = join(import.meta.dirname, "../../support/free-port.ts");

/** A child process that reserves `count` ports, prints them, and holds them until told. */
async function reserveInChild(count: number): Promise<{ ports: number[]; end(): Promise<void> }> {
  const script = `
    const { reservePorts } = await import(${JSON.stringify(MODULE)});
    const ports = await reservePorts(${count});
    process.stdout.write(JSON.stringify(ports) + "\\n");
    process.stdin.resume();
    process.stdin.on("end", () => process.exit(0));
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.setEncoding("utf8");
  while (!out.includes("\n")) {
    const [chunk] = (await once(child.stdout, "data")) as [string];
    out += chunk;
  }
  return {
    ports: JSON.parse(out) as number[],
    end: async () => {
      const exited = once(child, "exit");
      child.stdin.end();
      await exited;
    },
  };
}

describe("reservePort", () => {
  it("gives processes reserving at once disjoint ports, outside the system's ephemeral range", async () => {
    const [low, high] = reservablePortRange();
    const children = await Promise.all([reserveInChild(40), reserveInChild(40)]);
    const mine = await reservePorts(40);
    try {
      const all = [...children.flatMap((c) => c.ports), ...mine];
      expect(new Set(all).size).toBe(120);
      for (const port of all) {
        expect(port).toBeGreaterThanOrEqual(low);
        expect(port).toBeLessThanOrEqual(high);
        expect(existsSync(join(PORT_LOCK_DIR, String(port)))).toBe(true);
      }
    } finally {
      await releasePorts(mine);
      for (const child of children) await child.end();
    }
    // A process's locks go with it (its exit hook), and released ones at once.
    for (const port of [...children.flatMap((c) => c.ports), ...mine])
      expect(existsSync(join(PORT_LOCK_DIR, String(port)))).toBe(false);
  });

  it("does not hand out a port something already listens on", async () => {
    const port = await reservePort();
    await releasePort(port);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    try {
      expect(await reserveThisPort(port)).toBe(false);
      expect(existsSync(join(PORT_LOCK_DIR, String(port)))).toBe(false);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("takes over the lock of a process that is gone, not one of a live process", async () => {
    const [low] = reservablePortRange();
    const unlocked = (p: number) => !existsSync(join(PORT_LOCK_DIR, String(p)));
    const dead = Array.from({ length: 2_000 }, (_, i) => low + i).find(unlocked)!;
    const live = Array.from({ length: 2_000 }, (_, i) => low + 2_000 + i).find(unlocked)!;
    await reservePort().then(releasePort); // makes the folder
    // A pid above Linux's pid_max (no process has it) holds one; this test's parent the other.
    writeFileSync(join(PORT_LOCK_DIR, String(dead)), "4194305");
    writeFileSync(join(PORT_LOCK_DIR, String(live)), String(process.ppid));
    try {
      expect(await reserveThisPort(live)).toBe(false);
      expect(await reserveThisPort(dead)).toBe(true);
      expect(readFileSync(join(PORT_LOCK_DIR, String(dead)), "utf8")).toBe(String(process.pid));
    } finally {
      await releasePort(dead);
      rmSync(join(PORT_LOCK_DIR, String(live)), { force: true });
    }
    expect(heldPorts().size).toBe(0);
  });
});
