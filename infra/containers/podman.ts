/**
 * Runs podman as these machines need it: CONTAINERS_CONF pointing at ./containers.conf
 * (cgroupfs, no default ulimits) and runc as the runtime (crun fails here on setrlimit with
 * hybrid cgroups). Every container runs on the host network (routers and bridges reach the
 * emulator and each other on loopback, as the local platform binds only loopback).
 */
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";

export const CONTAINERS_CONF = join(import.meta.dirname, "containers.conf");

/** What to install when podman or runc is missing (Debian/Ubuntu). */
export const PODMAN_INSTALL_HINT = "apt-get install podman runc debootstrap";

export class PodmanError extends Error {
  override name = "PodmanError";
}

async function onPath(command: string, extra: string[] = []): Promise<string | undefined> {
  for (const dir of [...(process.env.PATH ?? "").split(delimiter), ...extra]) {
    if (dir === "") continue;
    try {
      await access(join(dir, command), constants.X_OK);
      return join(dir, command);
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface Podman {
  /** podman's global arguments (the runtime) before a subcommand. */
  readonly global: string[];
  /** The environment podman runs with (CONTAINERS_CONF set). */
  readonly env: NodeJS.ProcessEnv;
  /** Runs `podman <args>`; resolves with stdout, rejects with the end of stderr. */
  run(args: string[], options?: { input?: string; env?: NodeJS.ProcessEnv }): Promise<string>;
  /** Starts `podman <args>` as a child process (stdio and extra environment as given). */
  spawn(
    args: string[],
    options: { env?: NodeJS.ProcessEnv; stdio: Parameters<typeof spawn>[2]["stdio"] },
  ): ChildProcess;
  /** `podman <args>` synchronously, for process-exit clean-up; never throws. */
  runSync(args: string[]): void;
}

let found: Promise<Podman> | undefined;

/** podman and runc from PATH (runc also from /usr/sbin), or a PodmanError naming the install. */
export function findPodman(): Promise<Podman> {
  found ??= locate().catch((error: unknown) => {
    found = undefined;
    throw error;
  });
  return found;
}

async function locate(): Promise<Podman> {
  const podman = await onPath("podman");
  const runc = await onPath("runc", ["/usr/sbin", "/usr/bin"]);
  if (podman === undefined || runc === undefined)
    throw new PodmanError(
      `containers need ${podman === undefined ? "podman" : "runc"}, which is not installed: ${PODMAN_INSTALL_HINT}`,
    );
  const global = ["--runtime", runc];
  const env = { ...process.env, CONTAINERS_CONF };
  return {
    global,
    env,
    run: (args, options = {}) =>
      new Promise((resolve, reject) => {
        const child = execFile(
          podman,
          [...global, ...args],
          { env: { ...env, ...options.env }, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
          (error, stdout, stderr) => {
            if (error === null) resolve(stdout);
            else
              reject(
                new PodmanError(
                  `podman ${args[0]} failed: ${String(stderr).trim().split("\n").slice(-4).join(" / ") || error.message}`,
                ),
              );
          },
        );
        child.stdin?.on("error", () => {});
        child.stdin?.end(options.input ?? "");
      }),
    spawn: (args, options) =>
      spawn(podman, [...global, ...args], {
        env: { ...env, ...options.env },
        stdio: options.stdio,
      }),
    runSync: (args) => {
      spawnSync(podman, [...global, ...args], { env, stdio: "ignore", timeout: 30_000 });
    },
  };
}

/** Whether podman can run here (for tests that need it: a clear failure under CI otherwise). */
export async function podmanAvailable(): Promise<boolean> {
  try {
    await (await findPodman()).run(["version", "--format", "{{.Client.Version}}"]);
    return true;
  } catch {
    return false;
  }
}
