/**
 * The local platform on real routers: one qdrouterd or skrouterd process per router of the
 * topology, each reading its generated config (made fit for this machine), logging to a
 * file next to it. A router has started when its own process listens on its client port (a
 * port another program holds does not count); one that exits before fails the start with
 * the end of its log. Supervised as a container platform would (`onExit`): a router that
 * exits on its own is reported at once and started again with backoff. stop() ends them all
 * (SIGTERM, then SIGKILL).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, open, readdir, readFile, readlink, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { type RouterConfig, renderJsonFile } from "../../shared/router-config/index.ts";
import { type LocalRouters, type RouterBinary, type RunningRouter, routerUrl } from "./engine.ts";
import { LocalPlatformError } from "./errors.ts";

const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
/** Restart backoff: 0.5 s doubling to 30 s; back to the start after a minute running. */
const RESTART_FIRST_MS = 500;
const RESTART_MAX_MS = 30_000;
const RESTART_RESET_AFTER_MS = 60_000;

/** What the supervisor reports of a router that exited on its own. */
export interface RouterExit {
  routerId: string;
  kind: "exited" | "restarted" | "restart-failed";
  /** Exit status and the end of its log; or the restart's failure. */
  detail: string;
  /** Restarts tried since it last ran a minute. */
  attempt: number;
  /** Exited: when the next start is tried. */
  retryInMs?: number;
}

/**
 * Every router process this Node process started and that still runs. When the process
 * exits without stopping them (a crash, a test worker torn down), they are killed on the
 * way out: a router left behind holds its ports and keeps running for nobody.
 */
const live = new Set<ChildProcess>();
let reaperInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once("exit", () => {
    for (const router of live) router.kill("SIGKILL");
  });
}

interface RouterProcess {
  router: RunningRouter;
  child: ChildProcess;
  logFile: string;
  exited: Promise<void>;
}

/** The clients listener's port: where the local platform's clients connect. */
export function clientPort(config: RouterConfig): number {
  const listener =
    config.entities.find(
      (e) => e.type === "listener" && e.attributes.name === "amqp-mesh/listener/clients",
    ) ?? config.entities.find((e) => e.type === "listener" && e.attributes.role === "normal");
  const port = Number(listener?.attributes.port);
  if (!Number.isInteger(port) || port <= 0)
    throw new LocalPlatformError(
      `router '${config.routerId}' has no client listener to connect to`,
    );
  return port;
}

export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Every listener port of the configs that something else already holds on loopback. A router
 * whose listener cannot bind may keep running (and our start-up check then connects to the
 * other program): found here, before any router starts, the failure names the port.
 */
export async function portsInUse(configs: readonly RouterConfig[]): Promise<string[]> {
  const taken: string[] = [];
  for (const config of configs) {
    for (const entity of config.entities) {
      if (entity.type !== "listener") continue;
      const port = Number(entity.attributes.port);
      if (!Number.isInteger(port) || port <= 0) continue;
      const free = await new Promise<boolean>((resolve) => {
        const server = createServer();
        server.once("error", () => resolve(false));
        server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
      });
      if (!free)
        taken.push(
          `${port} (router '${config.routerId}', ${String(entity.attributes.name ?? "listener")})`,
        );
    }
  }
  return taken;
}

/**
 * Whether the process `pid` itself holds a listening socket on `port` (Linux: /proc); true
 * where /proc cannot tell, when something accepts on the port.
 */
async function listensOn(pid: number | undefined, port: number): Promise<boolean> {
  if (pid === undefined) return false;
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set<string>();
  try {
    for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      const text = await readFile(table, "utf8").catch(() => "");
      for (const row of text.split("\n").slice(1)) {
        const f = row.trim().split(/\s+/);
        // local_address is ip:PORT, st 0A is LISTEN, the inode is the 10th field.
        if (f[1]?.endsWith(`:${hex}`) && f[3] === "0A" && f[9] !== undefined) inodes.add(f[9]);
      }
    }
    const fds = await readdir(`/proc/${pid}/fd`);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined && inodes.has(inode)) return true;
    }
    return false;
  } catch {
    return accepts(port);
  }
}

/** The end of a router's log: its last error lines when it has some, else its last lines. */
export async function logTail(file: string, lines = 12): Promise<string> {
  const all = (await readFile(file, "utf8").catch(() => "")).trim().split("\n");
  const errors = all.filter((line) => /\((?:error|critical)\)|error|fail/i.test(line));
  return (errors.length > 0 ? errors : all).slice(-lines).join("\n");
}

async function startOne(
  binary: RouterBinary,
  config: RouterConfig,
  dir: string,
  logMode: "w" | "a" = "w",
): Promise<RouterProcess> {
  const configFile = join(dir, `${config.routerId}.json`);
  const logFile = join(dir, `${config.routerId}.log`);
  await writeFile(configFile, renderJsonFile(config));
  const log = await open(logFile, logMode);
  const child = spawn(binary, ["-c", configFile], {
    stdio: ["ignore", log.fd, log.fd],
    env: process.env,
  });
  track(child);
  const exited = once(child, "exit").then(() => undefined);
  const spawnError = once(child, "error").then(([error]) => error as NodeJS.ErrnoException);
  await log.close();
  const port = clientPort(config);
  const router: RunningRouter = {
    id: config.routerId,
    mode: config.mode,
    url: `amqp://127.0.0.1:${port}`,
  };
  const started = Date.now();
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  while (Date.now() - started < START_TIMEOUT_MS) {
    const failed = await Promise.race([
      spawnError,
      new Promise((r) => setTimeout(r, 100, undefined)),
    ]);
    if (failed !== undefined) {
      const error = failed as NodeJS.ErrnoException;
      throw new LocalPlatformError(
        `${binary} for router '${config.routerId}' did not start: ${error.message}`,
      );
    }
    if (gone) {
      throw new LocalPlatformError(
        `${binary} for router '${config.routerId}' exited during start-up (${logFile}):\n${await logTail(logFile)}`,
      );
    }
    // Its own listener: a port someone else holds (bound after our check) is not a start.
    if ((await accepts(port)) && (await listensOn(child.pid, port)))
      return { router, child, logFile, exited };
  }
  child.kill("SIGKILL");
  throw new LocalPlatformError(
    `${binary} for router '${config.routerId}' did not accept connections on port ${port} within ${START_TIMEOUT_MS / 1000} s (${logFile}):\n${await logTail(logFile)}`,
  );
}

async function stopOne(process: RouterProcess): Promise<void> {
  if (process.child.exitCode !== null || process.child.signalCode !== null) return;
  process.child.kill("SIGTERM");
  const timer = setTimeout(() => process.child.kill("SIGKILL"), STOP_GRACE_MS);
  await process.exited;
  clearTimeout(timer);
}

/** Real routers whose processes can also be killed and started again one by one. */
export interface RouterProcesses extends LocalRouters {
  /** The routers whose process has exited since they started, each with the end of its log. */
  exited(): Promise<string[]>;
  /** Ends the router's process at once (SIGKILL), as a crash would. */
  kill(routerId: string): Promise<void>;
  /** Starts a killed router again from the same config file (same ports). */
  restart(routerId: string): Promise<void>;
  logFile(routerId: string): string;
}

export interface RouterProcessOptions {
  /** Supervise: restart a router that exits on its own, with backoff, reporting each step. */
  onExit?: ((event: RouterExit) => void) | undefined;
}

export async function startRouterProcesses(
  binary: RouterBinary,
  configs: readonly RouterConfig[],
  dir: string,
  options: RouterProcessOptions = {},
): Promise<RouterProcesses> {
  const taken = await portsInUse(configs);
  if (taken.length > 0)
    throw new LocalPlatformError(
      `${taken.length === 1 ? "port" : "ports"} ${taken.join(", ")} on 127.0.0.1 ${taken.length === 1 ? "is" : "are"} already in use (another amqp-mesh up, or another program): stop it, or change the topology's ports`,
    );
  await mkdir(dir, { recursive: true });
  // All at once: each router's connectors find their peers' listeners sooner.
  const starting = configs.map((config) => startOne(binary, config, dir));
  const outcomes = await Promise.allSettled(starting);
  const processes = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
  const failed = outcomes.find((o) => o.status === "rejected");
  if (failed !== undefined) {
    await Promise.all(processes.map(stopOne));
    throw failed.reason;
  }
  const routers = processes.map((p) => p.router);
  const byId = new Map(processes.map((p) => [p.router.id, p]));
  const processOf = (id: string): RouterProcess => {
    const found = byId.get(id);
    if (found === undefined) throw new LocalPlatformError(`no router '${id}' was started`);
    return found;
  };
  let stopping = false;
  /** Processes ended on purpose (kill(), stop()): not restarted. */
  const intended = new WeakSet<RouterProcess>();
  const supervise = (running: RouterProcess, attempt: number, startedAt: number): void => {
    const onExit = options.onExit;
    if (onExit === undefined) return;
    void running.exited.then(async () => {
      if (stopping || intended.has(running) || byId.get(running.router.id) !== running) return;
      const id = running.router.id;
      const config = configs.find((c) => c.routerId === id) as RouterConfig;
      let tries = Date.now() - startedAt > RESTART_RESET_AFTER_MS ? 1 : attempt + 1;
      const status = running.child.signalCode ?? `code ${running.child.exitCode}`;
      let detail = `${binary} exited (${status}; ${running.logFile}): ${await logTail(running.logFile, 3)}`;
      for (;;) {
        const delay = Math.min(RESTART_FIRST_MS * 2 ** (tries - 1), RESTART_MAX_MS);
        onExit({ routerId: id, kind: "exited", detail, attempt: tries, retryInMs: delay });
        await new Promise((r) => setTimeout(r, delay));
        if (stopping) return;
        try {
          const next = await startOne(binary, config, dir, "a");
          if (stopping) {
            await stopOne(next);
            return;
          }
          byId.set(id, next);
          onExit({ routerId: id, kind: "restarted", detail: next.router.url, attempt: tries });
          supervise(next, tries, Date.now());
          return;
        } catch (error) {
          detail = error instanceof Error ? error.message : String(error);
          onExit({ routerId: id, kind: "restart-failed", detail, attempt: tries });
          tries++;
        }
      }
    });
  };
  for (const running of processes) supervise(running, 0, Date.now());
  return {
    engine: binary,
    routers,
    url: (id) => routerUrl(routers, id),
    stop: async () => {
      stopping = true;
      await Promise.all([...byId.values()].map(stopOne));
    },
    exited: async () => {
      const gone = [...byId.values()].filter(
        (p) => p.child.exitCode !== null || p.child.signalCode !== null,
      );
      return Promise.all(
        gone.map(
          async (p) =>
            `${binary} for router '${p.router.id}' exited (${p.child.signalCode ?? `code ${p.child.exitCode}`}; ${p.logFile}):\n${await logTail(p.logFile, 6)}`,
        ),
      );
    },
    kill: async (id) => {
      const running = processOf(id);
      intended.add(running);
      if (running.child.exitCode === null && running.child.signalCode === null) {
        running.child.kill("SIGKILL");
        await running.exited;
      }
    },
    restart: async (id) => {
      const config = configs.find((c) => c.routerId === id);
      if (config === undefined) throw new LocalPlatformError(`no router '${id}' was started`);
      const next = await startOne(binary, config, dir, "a");
      byId.set(id, next);
      supervise(next, 0, Date.now());
    },
    logFile: (id) => processOf(id).logFile,
  };
}
