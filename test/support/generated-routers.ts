/**
 * Routers started from a project's generated configs, as a deployment runs them: on the
 * emulator, or as real qdrouterd / skrouterd processes (a throwaway CA for the routers'
 * mutual TLS and a Cyrus sasldb of the users, as `amqp-mesh up --engine` makes them). The
 * project is copied with every listener port moved to one reserved for the copy
 * (free-port.ts), so that tests never collide with each other or with a local platform on
 * the example's ports.
 *
 *   const project = await copyProject("examples");               // a temp copy, reserved ports
 *   const routers = await startGeneratedRouters(project.dir, {
 *     engine: "emulator", users, managementPrincipals: ["config-sync"],
 *     only: ["aws-eu-interior-1", "aws-eu-edge-1"],
 *   });
 *   routers.url("aws-eu-interior-1"); await routers.restart("aws-eu-edge-1");
 *   await routers.stopRouter("aws-eu-edge-1"); await routers.startRouter("aws-eu-edge-1");
 *   routers.prepareConfig  // what sync must compare with: the configs as these routers run them
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeLocalCertificates } from "../../cli/local/certificates.ts";
import { inContainer } from "../../cli/local/container-router.ts";
import { engineFlavour, isContainerEngine, type RealEngine } from "../../cli/local/engine.ts";
import { type LocalFiles, withLocalFiles } from "../../cli/local/local-configs.ts";
import { startRealRouters } from "../../cli/local/real-routers.ts";
import type { RouterProcesses } from "../../cli/local/router-processes.ts";
import { makeSaslDatabase } from "../../cli/local/sasl-database.ts";
import { type LocalMesh, startLocalMesh } from "../../emulator/index.ts";
import { validateProject } from "../../shared/registry/index.ts";
import { generateRouterConfigs, type RouterConfig } from "../../shared/router-config/index.ts";
import type { RouterFlavour, Topology } from "../../shared/topology/index.ts";
import { releasePorts, reservePort } from "./free-port.ts";

export type Engine = "emulator" | RealEngine;

export interface ProjectCopy {
  dir: string;
  cleanup(): Promise<void>;
}

/** Folders of copies whose every listener port is reserved (free-port.ts) for the copy. */
const reservedCopies = new Set<string>();

/**
 * A temporary copy of a project folder whose topology listens on ports reserved for it
 * until cleanup(): no other test file or process binds them meanwhile, and none is a port
 * of the example a user's running platform may hold.
 */
export async function copyProject(from: string): Promise<ProjectCopy> {
  const dir = await mkdtemp(join(tmpdir(), "amqp-mesh-sync-project-"));
  const ports = new Map<string, number>();
  const release = async () => {
    reservedCopies.delete(dir);
    await releasePorts(ports.values());
  };
  try {
    await cp(from, dir, { recursive: true });
    const file = join(dir, "topology.yaml");
    const text = await readFile(file, "utf8");
    for (const match of text.matchAll(/port: (\d{4,5})\b/g)) {
      const port = match[1]!;
      // The broker is RabbitMQ on its own port: keep it.
      if (port === "5672" || ports.has(port)) continue;
      ports.set(port, await reservePort());
    }
    await writeFile(
      file,
      text.replace(/port: (\d{4,5})\b/g, (whole, port: string) =>
        ports.has(port) ? `port: ${ports.get(port)}` : whole,
      ),
    );
  } catch (error) {
    await release();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  reservedCopies.add(dir);
  return {
    dir,
    cleanup: async () => {
      await rm(dir, { recursive: true, force: true });
      await release();
    },
  };
}

/**
 * A copy of the example (copyProject) whose broker channel `billing/invoices` uses the queue
 * `queue` instead of the shared `billing-invoices`: no other test run competes for its
 * messages. Give a queue ending in `-invoices`: qdrouterd's link route rewrites a prefix only.
 */
export async function copyExampleWithQueue(queue: string): Promise<ProjectCopy> {
  const copy = await copyProject("examples");
  try {
    await useOwnQueue(copy.dir, queue);
  } catch (error) {
    await copy.cleanup();
    throw error;
  }
  return copy;
}

/** In the example copy at `dir`, `billing/invoices` uses `queue` instead of `billing-invoices`. */
export async function useOwnQueue(dir: string, queue: string): Promise<void> {
  const file = join(dir, "registry", "billing.yaml");
  const text = await readFile(file, "utf8");
  const own = text.replace("queue: billing-invoices", `queue: ${queue}`);
  if (own === text) throw new Error(`${file}: the example's queue is no longer billing-invoices`);
  await writeFile(file, own);
}

export interface GeneratedRouters {
  readonly engine: Engine;
  readonly flavour: RouterFlavour;
  readonly topology: Topology;
  url(routerId: string): string;
  /** Stops the router (as a crash would) and starts it again from its config file. */
  restart(routerId: string): Promise<void>;
  /** Stops the router as a crash would (real ones: SIGKILL); `start` brings it back. */
  stopRouter(routerId: string): Promise<void>;
  /** Starts a stopped router again from its config file, on the same ports. */
  startRouter(routerId: string): Promise<void>;
  /** The configs as these routers run them (local certificate and SASL paths for real ones). */
  prepareConfig(config: RouterConfig): RouterConfig;
  stop(): Promise<void>;
}

export interface StartOptions {
  engine: Engine;
  /** PLAIN users the routers know (principal → password). */
  users: ReadonlyMap<string, string>;
  managementPrincipals: string[];
  /** Start only these routers (default: all of the topology). */
  only?: string[];
  /** Flavour on the emulator (real routers have their own); default the topology's. */
  flavour?: RouterFlavour;
}

/** Starts the project's routers from the configs generated from it. */
export async function startGeneratedRouters(
  projectDir: string,
  options: StartOptions,
): Promise<GeneratedRouters> {
  const project = await validateProject(projectDir);
  if (project.topology === undefined || project.registry === undefined)
    throw new Error(`${projectDir}: the project must be valid to start its routers`);
  const flavour =
    options.engine === "emulator"
      ? (options.flavour ?? project.topology.flavour)
      : engineFlavour(options.engine);
  const wanted = (id: string): boolean => options.only === undefined || options.only.includes(id);
  const topology: Topology = {
    ...project.topology,
    flavour,
    routers: project.topology.routers.filter((r) => wanted(r.id)),
    links: project.topology.links.filter((l) => wanted(l.from) && wanted(l.to)),
  };
  const { configs } = generateRouterConfigs(project.registry, project.topology, {
    flavour,
    managementPrincipals: options.managementPrincipals,
  });
  const started = configs.filter((c) => wanted(c.routerId));

  if (options.engine === "emulator") {
    const mesh: LocalMesh = await startLocalMesh({
      topology,
      configs: started,
      users: new Map(options.users),
      // A copy's ports are reserved for it: bound as they are (a restarted router gets its
      // port back); anything else binds ephemeral client ports.
      ports: reservedCopies.has(projectDir) ? "topology" : "ephemeral",
    });
    return {
      engine: "emulator",
      flavour,
      topology,
      url: (id) => mesh.router(id).url,
      restart: async (id) => {
        await mesh.router(id).stop();
        await mesh.router(id).start();
      },
      stopRouter: (id) => mesh.router(id).stop(),
      startRouter: (id) => mesh.router(id).start(),
      prepareConfig: (config) => config,
      stop: () => mesh.stop(),
    };
  }
  const dir = await mkdtemp(join(tmpdir(), `amqp-mesh-sync-${options.engine}-`));
  const files: LocalFiles = {
    certificates: await makeLocalCertificates(join(dir, "tls"), project.topology.routers),
    sasl: await makeSaslDatabase(join(dir, "sasl"), options.users),
  };
  let processes: RouterProcesses;
  try {
    processes = await startRealRouters(
      options.engine,
      started.map((c) => withLocalFiles(c, files)),
      join(dir, "routers"),
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    engine: options.engine,
    flavour,
    topology,
    url: (id) => processes.url(id),
    restart: async (id) => {
      await processes.kill(id);
      await processes.restart(id);
    },
    stopRouter: (id) => processes.kill(id),
    startRouter: (id) => processes.restart(id),
    // What the routers run: in a container, its files under the container's run folder.
    prepareConfig: (config) =>
      isContainerEngine(options.engine as RealEngine)
        ? inContainer(withLocalFiles(config, files))
        : withLocalFiles(config, files),
    stop: async () => {
      await processes.stop();
      if (process.env.KEEP_ROUTER_LOGS === "1") console.error(`router configs and logs: ${dir}`);
      else await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until each edge router of `edges` has its connection to an interior (a `connection`
 * row with role `edge`). A client attaching to a link-routed address at an edge before then
 * can take qdrouterd 1.19.0 down: an edge whose first sender on `billing/invoices` attached
 * before its uplink and was detached after it ended with "free(): double free detected".
 */
export async function waitForEdgeUplinks(
  routers: GeneratedRouters,
  edges: string[],
  login: { username: string; password: string },
): Promise<void> {
  // The emulator links its routers in-process, uplinks included, before it answers anyone
  // (and shows no edge connections).
  if (routers.engine === "emulator") return;
  const { connectClient } = await import("./amqp-client.ts");
  const { waitForValue } = await import("./wait.ts");
  const prefix =
    routers.flavour === "skupper-router" ? "io.skupper.router" : "org.apache.qpid.dispatch";
  for (const edge of edges) {
    const client = await connectClient(routers.url(edge), login);
    try {
      await waitForValue(
        async () => {
          const reply = await client.management(
            { operation: "QUERY", type: "org.amqp.management", entityType: `${prefix}.connection` },
            { attributeNames: ["role"] },
          );
          const rows = (reply.body as { results?: string[][] }).results ?? [];
          return rows.some(([role]) => role === "edge");
        },
        { timeout: 30_000, interval: 200, what: `edge router ${edge} to reach its interior` },
      );
    } finally {
      await client.close();
    }
  }
}
