/**
 * The local platform on router containers: one container per router of the topology, of the
 * router image built here (infra/containers/images.ts; built from this machine's router when
 * missing), on the host network, started as the infra programs start it — the deploy's
 * entrypoint as the command (`sh -c <script>`), the config and file names in the variables
 * they set, the certificates, keys and SASL database as mounted secret files. The container's
 * output is the router's log. Same contract as router processes: a router that does not accept
 * connections fails the start with the end of its log; stop() ends them all (SIGTERM, then
 * SIGKILL after the grace); kill() as a crash; restart() from the same config.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { chmod, mkdir, open, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureRouterImage } from "../../infra/containers/images.ts";
import { findPodman, type Podman, PodmanError } from "../../infra/containers/podman.ts";
import { entrypointCommand, SECRET_MOUNT } from "../../infra/router/entrypoint.ts";
import type { RouterConfig } from "../../shared/router-config/index.ts";
import { containerRouter } from "./container-router.ts";
import { binaryOf, type ContainerEngine, type RunningRouter, routerUrl } from "./engine.ts";
import { LocalPlatformError } from "./errors.ts";
import {
  accepts,
  clientPort,
  logTail,
  portsInUse,
  type RouterProcesses,
} from "./router-processes.ts";

const START_TIMEOUT_MS = 60_000;
/** Label of every router container: the folder of its run (its logs and secret files). */
export const RUN_LABEL = "amqp-mesh.run";
const STOP_GRACE_S = 5;

/** Containers this process started and that may still run: removed on the way out. */
const live = new Set<string>();
let reaperInstalled = false;
function track(podman: Podman, name: string): void {
  live.add(name);
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once("exit", () => {
    if (live.size > 0) podman.runSync(["rm", "--force", "--time", "0", ...live]);
  });
}

interface RouterContainer {
  router: RunningRouter;
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<void>;
}

/** podman and runc, or the LocalPlatformError saying what to install (before anything is written). */
export async function requirePodman(engine: ContainerEngine): Promise<Podman> {
  return findPodman().catch((error: unknown) => {
    throw new LocalPlatformError(`--engine ${engine}: ${(error as Error).message}`);
  });
}

export async function startRouterContainers(
  engine: ContainerEngine,
  configs: readonly RouterConfig[],
  dir: string,
  log: (line: string) => void = () => {},
): Promise<RouterProcesses> {
  const podman = await requirePodman(engine);
  const binary = binaryOf(engine);
  const image = await ensureRouterImage(binary, log).catch((error: unknown) => {
    throw new LocalPlatformError(
      `--engine ${engine}: ${error instanceof PodmanError ? error.message : String(error)}`,
    );
  });
  const taken = await portsInUse(configs);
  if (taken.length > 0)
    throw new LocalPlatformError(
      `${taken.length === 1 ? "port" : "ports"} ${taken.join(", ")} on 127.0.0.1 ${taken.length === 1 ? "is" : "are"} already in use (another amqp-mesh up, or another program): stop it, or change the topology's ports`,
    );
  await mkdir(dir, { recursive: true });
  const run = randomBytes(3).toString("hex");

  const startOne = async (config: RouterConfig, logMode: "w" | "a" = "w") => {
    const name = `amqp-mesh-${config.routerId.replace(/[^A-Za-z0-9_.-]/g, "-")}-${process.pid}-${run}`;
    const routerDir = join(dir, config.routerId);
    const secretsDir = join(routerDir, "secrets");
    const logFile = join(dir, `${config.routerId}.log`);
    const prepared = await containerRouter(config);
    await rm(secretsDir, { recursive: true, force: true });
    await mkdir(secretsDir, { recursive: true, mode: 0o700 });
    for (const secret of prepared.secrets)
      await writeFile(join(secretsDir, secret.name), secret.content, { mode: 0o600 });
    // The container's user (10000, as upstream skupper-router) reads them: the mount is chowned
    // to it (`U`), still 0600 in a 0700 folder.
    await chmod(secretsDir, 0o700);
    await writeFile(join(routerDir, "router.json"), prepared.environment.MESH_ROUTER_CONFIG ?? "");
    const variables = { ...prepared.environment, ...prepared.fileVariables };
    // A container of this name left by a crashed run would block the name.
    await podman.run(["rm", "--force", "--time", "0", name]).catch(() => undefined);
    const output = await open(logFile, logMode);
    // Values travel in podman's environment (`-e NAME`), never on its command line.
    const child = podman.spawn(
      [
        "run",
        "--rm",
        "--name",
        name,
        "--network",
        "host",
        "--label",
        `${RUN_LABEL}=${dir}`,
        "--volume",
        `${secretsDir}:${SECRET_MOUNT}:ro,U`,
        ...Object.keys(variables).flatMap((key) => ["--env", key]),
        "--entrypoint",
        entrypointCommand()[0]!,
        image,
        ...entrypointCommand().slice(1),
      ],
      { env: variables, stdio: ["ignore", output.fd, output.fd] },
    );
    track(podman, name);
    const exited = once(child, "exit").then(() => {
      live.delete(name);
    });
    await output.close();
    const port = clientPort(config);
    const router: RunningRouter = {
      id: config.routerId,
      mode: config.mode,
      url: `amqp://127.0.0.1:${port}`,
    };
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    const started = Date.now();
    while (Date.now() - started < START_TIMEOUT_MS) {
      await new Promise((r) => setTimeout(r, 100));
      if (gone)
        throw new LocalPlatformError(
          `${engine} container for router '${config.routerId}' exited during start-up (${logFile}):\n${await logTail(logFile)}`,
        );
      if (await accepts(port)) return { router, name, child, logFile, exited };
    }
    await podman.run(["rm", "--force", "--time", "0", name]).catch(() => undefined);
    throw new LocalPlatformError(
      `${engine} container for router '${config.routerId}' did not accept connections on port ${port} within ${START_TIMEOUT_MS / 1000} s (${logFile}):\n${await logTail(logFile)}`,
    );
  };

  const stopOne = async (container: RouterContainer): Promise<void> => {
    if (container.child.exitCode !== null || container.child.signalCode !== null) return;
    await podman
      .run(["stop", "--time", String(STOP_GRACE_S), container.name])
      .catch(() => podman.runSync(["rm", "--force", "--time", "0", container.name]));
    await container.exited;
  };

  const outcomes = await Promise.allSettled(configs.map((config) => startOne(config)));
  const containers = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
  const failed = outcomes.find((o) => o.status === "rejected");
  if (failed !== undefined) {
    await Promise.all(containers.map(stopOne));
    throw failed.reason;
  }
  const routers = containers.map((c) => c.router);
  const byId = new Map(containers.map((c) => [c.router.id, c]));
  const containerOf = (id: string): RouterContainer => {
    const found = byId.get(id);
    if (found === undefined) throw new LocalPlatformError(`no router '${id}' was started`);
    return found;
  };
  const isGone = (c: RouterContainer) => c.child.exitCode !== null || c.child.signalCode !== null;
  return {
    engine,
    routers,
    url: (id) => routerUrl(routers, id),
    stop: async () => {
      await Promise.all([...byId.values()].map(stopOne));
    },
    exited: async () =>
      Promise.all(
        [...byId.values()]
          .filter(isGone)
          .map(
            async (c) =>
              `${engine} container for router '${c.router.id}' exited (${c.child.signalCode ?? `code ${c.child.exitCode}`}; ${c.logFile}):\n${await logTail(c.logFile, 6)}`,
          ),
      ),
    kill: async (id) => {
      const running = containerOf(id);
      if (isGone(running)) return;
      await podman.run(["kill", "--signal", "KILL", running.name]).catch(() => undefined);
      await running.exited;
    },
    restart: async (id) => {
      const config = configs.find((c) => c.routerId === id);
      if (config === undefined) throw new LocalPlatformError(`no router '${id}' was started`);
      byId.set(id, await startOne(config, "a"));
    },
    logFile: (id) => containerOf(id).logFile,
  };
}
