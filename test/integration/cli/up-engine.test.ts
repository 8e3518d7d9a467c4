/**
 * `amqp-mesh up --engine`: real routers when their binary is on PATH; otherwise a clear
 * error and exit code 3 (a run-time failure), before anything is generated or started.
 */
import { mkdir, mkdtemp, rm, stat, symlink } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempFolders } from "./copy-examples.ts";
import { examplesOnReservedPorts } from "./free-port-project.ts";
import { runCli } from "./run-cli.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A PATH with node and the system tools but no router binaries. */
function pathWithoutRouters(): string {
  return [dirname(process.execPath), "/usr/bin", "/bin", "/usr/sbin", "/sbin"].join(":");
}

describe("up --engine", () => {
  it.each(["qdrouterd", "skrouterd"])(
    "%s not on PATH: says what to install, exits 3, writes nothing",
    async (engine) => {
      const out = await mkdtemp(join(tmpdir(), "up-engine-"));
      dirs.push(out);
      const result = await runCli(
        ["up", "examples", "--engine", engine, "--once", "--out", join(out, "run")],
        undefined,
        { PATH: pathWithoutRouters() },
      );
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`'${engine}' is not on PATH`);
      expect(result.stderr).toContain("--engine emulator");
      await expect(stat(join(out, "run"))).rejects.toThrow();
    },
  );

  it.each(["container-qdrouterd", "container-skrouterd"])(
    "%s without podman: says what to install, exits 3, writes nothing",
    async (engine) => {
      const out = await mkdtemp(join(tmpdir(), "up-engine-"));
      dirs.push(out);
      // A PATH with node alone: no podman.
      const bin = join(out, "bin");
      await mkdir(bin);
      await symlink(process.execPath, join(bin, "node"));
      const result = await runCli(
        ["up", "examples", "--engine", engine, "--once", "--out", join(out, "run")],
        undefined,
        { PATH: bin },
      );
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`--engine ${engine}: containers need podman`);
      expect(result.stderr).toContain("apt-get install podman runc debootstrap");
      await expect(stat(join(out, "run"))).rejects.toThrow();
    },
  );

  it("an unknown engine is a usage error (exit 2) naming the choices", async () => {
    const result = await runCli(["up", "examples", "--engine", "rabbit", "--once"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--engine must be one of emulator, qdrouterd, skrouterd");
  });

  it("a port already in use is a run-time failure (exit 3) naming the port", async () => {
    // A copy of the example on ports reserved for this test, so that no other test's mesh
    // (nor a user's running platform) is disturbed.
    const folders = tempFolders();
    try {
      const { project, ports } = await examplesOnReservedPorts(folders);
      const taken = ports.get(17121) as number;
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(taken, "127.0.0.1", resolve));
      try {
        const result = await runCli(["up", project, "--once", "--out", join(project, "out")]);
        expect(result.code).toBe(3);
        expect(result.stderr).toContain(`port ${taken} on 127.0.0.1 is already in use`);
      } finally {
        await new Promise<void>((resolve) => blocker.close(() => resolve()));
      }
    } finally {
      await folders.cleanup();
    }
  });
});
