/**
 * A router network a conformance check starts for itself, on the emulator or as real router
 * processes (qdrouterd / skrouterd on PATH), from the same TestMeshSpec. Both answer the
 * same questions — where a router or a listener is, when an address, a connector or a link
 * route is ready — so one check runs unchanged on either; the real one is asked through
 * AMQP management, as an operator would ask it.
 *
 *   const mesh = await startTargetMesh(spec, "qdrouterd");      // or "emulator"
 *   await mesh.waitForConnector("b", "rabbit");
 *   const url = mesh.listenerUrl("s", "authenticated");
 *   await mesh.router("b").stop();   await mesh.router("b").start();
 *   await mesh.stop();
 *
 * Real routers: every listener on 127.0.0.1 at a reserved port (free-port.ts); a link [from, to, cost] is an
 * `inter-router` listener on `to` and a connector on `from`; an edge's uplinks are `edge`
 * listeners on the interiors and connectors on the edge; PLAIN users go into a Cyrus sasldb
 * (saslpasswd2). The mesh is ready once every interior sees every other and every edge
 * has its uplink.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { engineFlavour, type RealEngine } from "../../cli/local/engine.ts";
import { startRealRouters } from "../../cli/local/real-routers.ts";
import type { RouterProcesses } from "../../cli/local/router-processes.ts";
import { makeSaslDatabase } from "../../cli/local/sasl-database.ts";
import { type LocalMesh, loadUsersFile } from "../../emulator/index.ts";
import {
  type RouterConfig,
  type RouterEntity,
  SASL_CONFIG_NAME,
  typePrefix,
} from "../../shared/router-config/index.ts";
import type { RouterFlavour } from "../../shared/topology/index.ts";
import { connectClient } from "./amqp-client.ts";
import { releasePorts, reservePort } from "./free-port.ts";
import { startTestMesh, type TestMeshSpec, testRouterConfig } from "./local-mesh.ts";
import { waitFor, withTimeout } from "./wait.ts";

/** The emulator, router processes, or router containers (`container-qdrouterd`…). */
export type MeshEngine = "emulator" | RealEngine;

export interface TargetMeshRouter {
  readonly id: string;
  readonly mode: "interior" | "edge";
  /** The `clients` listener. */
  readonly url: string;
  readonly port: number;
  /** Stops the router as a crash would (its clients' connections drop). */
  stop(): Promise<void>;
  /** Starts it again with its config file's entities, on the same ports. */
  start(): Promise<void>;
}

export interface WaitOptions {
  timeout?: number;
}

export interface TargetMesh {
  readonly engine: MeshEngine;
  readonly flavour: RouterFlavour;
  readonly routers: readonly TargetMeshRouter[];
  router(id: string): TargetMeshRouter;
  /** The URL of the listener `name` (a config entity of the spec) of router `routerId`. */
  listenerUrl(routerId: string, name: string): string;
  /** Until `consumers` (default 1) consumers of `address` are known at `router`. */
  waitForAddress(
    address: string,
    options?: WaitOptions & { router?: string; consumers?: number },
  ): Promise<void>;
  /** Until the router's connector `name` has its connection up. */
  waitForConnector(routerId: string, name: string, options?: WaitOptions): Promise<void>;
  /** Until router `to` is reachable from `from` (an edge: through an uplink to it). */
  waitForRoute(from: string, to: string, options?: WaitOptions): Promise<void>;
  /** Until a link route for `address` reaches its connection (in both directions unless told). */
  waitForLinkRoute(
    address: string,
    options?: WaitOptions & { router?: string; direction?: "in" | "out" },
  ): Promise<void>;
  stop(): Promise<void>;
  /** The emulator behind it, for checks of the emulator's own internals; else undefined. */
  readonly emulator: LocalMesh | undefined;
}

const running = new Set<TargetMesh>();

/** Real routers: how long a mesh may take to form (every interior sees the others). */
const FORM_TIMEOUT_MS = 30_000;
/** Lines of each router's log in the message of a mesh that did not form. */
const LOG_LINES = 15;
/**
 * Real routers are asked over a new management connection per poll: every 100 ms, not
 * wait.ts's 5 ms, which on a loaded machine had the routers (and their logs) busy with
 * little but the test's own polling.
 */
const POLL_MS = 100;
/** Log lines of the test's own polling connections, left out of a failed set-up's log tail. */
const POLLING_NOISE = /Accepted connection to |No protocol header found/;

/** A mesh of real routers that did not form: the message holds each router's view and log. */
export class MeshSetUpError extends Error {
  override readonly name = "MeshSetUpError";
}

export interface StartTargetOptions {
  /** Real routers: ms to wait for the mesh to form (default 30 s). */
  formTimeout?: number;
  /**
   * Real routers: routers of the spec not started, so that the mesh cannot form — for the
   * test of a set-up that fails (its error and how the suite counts it).
   */
  withheld?: string[];
}

export async function startTargetMesh(
  spec: TestMeshSpec,
  engine: MeshEngine,
  options: StartTargetOptions = {},
): Promise<TargetMesh> {
  const mesh =
    engine === "emulator"
      ? emulated(await startTestMesh(spec), spec)
      : await processMesh(spec, engine, options);
  running.add(mesh);
  return mesh;
}

export async function stopTargetMeshes(): Promise<void> {
  for (const mesh of running) await mesh.stop();
  running.clear();
}

function emulated(mesh: LocalMesh, spec: TestMeshSpec): TargetMesh {
  const routerOf = (id: string): TargetMeshRouter => {
    const handle = mesh.router(id);
    return {
      id,
      mode: handle.mode,
      get url() {
        return handle.url;
      },
      get port() {
        return handle.port;
      },
      stop: () => handle.stop(),
      start: () => handle.start(),
    };
  };
  return {
    engine: "emulator",
    flavour: spec.flavour ?? "qpid-dispatch",
    routers: Object.keys(mesh.routers).map(routerOf),
    router: routerOf,
    listenerUrl(routerId, name) {
      const listener = mesh.router(routerId).router.listener(name);
      if (!listener) throw new Error(`router ${routerId} has no listener '${name}'`);
      return listener.url;
    },
    waitForAddress: (address, options) => mesh.waitForAddress(address, options),
    waitForConnector: (routerId, name, options) => mesh.waitForConnector(routerId, name, options),
    waitForRoute: (from, to, options) => mesh.waitForRoute(from, to, options),
    waitForLinkRoute: (address, options) => mesh.waitForLinkRoute(address, options),
    stop: () => mesh.stop(),
    emulator: mesh,
  };
}

function listener(name: string, role: "inter-router" | "edge"): RouterEntity {
  return {
    type: "listener",
    attributes: {
      name,
      host: "127.0.0.1",
      port: "0",
      role,
      saslMechanisms: "ANONYMOUS",
      authenticatePeer: false,
    },
  };
}

/**
 * The spec's configs with the router-to-router listeners and connectors real routers need,
 * every listener on a port reserved for this mesh (held until it stops: a killed router
 * starts again on the same ports, and nothing else may take them meanwhile).
 */
async function wiredConfigs(
  spec: TestMeshSpec,
  flavour: RouterFlavour,
  reserved: number[],
): Promise<RouterConfig[]> {
  const configs = new Map(
    spec.routers.map((r) => [r.id, testRouterConfig({ ...spec, flavour }, r)] as const),
  );
  const add = (id: string, entity: RouterEntity): void => {
    configs.get(id)?.entities.push(entity);
  };
  const listens = (id: string, name: string): boolean =>
    configs.get(id)?.entities.some((e) => e.type === "listener" && e.attributes.name === name) ??
    false;
  for (const [, to] of spec.links ?? [])
    if (!listens(to, "inter-router")) add(to, listener("inter-router", "inter-router"));
  for (const r of spec.routers)
    for (const uplink of r.uplinks ?? [])
      if (!listens(uplink, "edge")) add(uplink, listener("edge", "edge"));
  // Every port "0" gets a reserved port; then connectors can name their peers' ports.
  for (const config of configs.values())
    for (const entity of config.entities)
      if (entity.type === "listener" && Number(entity.attributes.port) === 0) {
        const port = await reservePort();
        reserved.push(port);
        entity.attributes.port = String(port);
      }
  const portOf = (id: string, name: string): string => {
    const found = configs
      .get(id)
      ?.entities.find((e) => e.type === "listener" && e.attributes.name === name);
    return String(found?.attributes.port);
  };
  for (const [from, to, cost] of spec.links ?? [])
    add(from, {
      type: "connector",
      attributes: {
        name: `to-${to}`,
        host: "127.0.0.1",
        port: portOf(to, "inter-router"),
        role: "inter-router",
        cost: cost ?? 1,
      },
    });
  for (const r of spec.routers)
    for (const uplink of r.uplinks ?? [])
      add(r.id, {
        type: "connector",
        attributes: {
          name: `uplink-${uplink}`,
          host: "127.0.0.1",
          port: portOf(uplink, "edge"),
          role: "edge",
        },
      });
  return [...configs.values()];
}

/** KEEP_ROUTER_LOGS=1 keeps the routers' configs and logs for a look after the run. */
async function keepOrRemove(dir: string): Promise<void> {
  if (process.env.KEEP_ROUTER_LOGS === "1") console.error(`router configs and logs: ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}

async function usersOf(spec: TestMeshSpec): Promise<ReadonlyMap<string, string> | undefined> {
  if (spec.users === undefined) return undefined;
  return typeof spec.users === "string" ? loadUsersFile(spec.users) : new Map(spec.users);
}

/** Rows of one management QUERY at a router, as attribute maps. */
async function query(
  url: string,
  flavour: RouterFlavour,
  type: string,
  attributeNames: string[],
): Promise<Record<string, unknown>[]> {
  const client = await connectClient(url, { untracked: true });
  try {
    const reply = await client.management(
      {
        operation: "QUERY",
        type: "org.amqp.management",
        entityType: `${typePrefix(flavour)}.${type}`,
      },
      { attributeNames },
    );
    if (reply.statusCode !== 200)
      throw new Error(`QUERY ${type} at ${url}: ${reply.statusCode} ${reply.statusDescription}`);
    const body = reply.body as { attributeNames: string[]; results: unknown[][] };
    return body.results.map((row) =>
      Object.fromEntries(body.attributeNames.map((name, i) => [name, row[i]])),
    );
  } finally {
    await client.close();
  }
}

/** qdrouterd names a mobile address M0<address>, skupper-router M<address>. */
function mobileKey(flavour: RouterFlavour, address: string): string {
  return flavour === "skupper-router" ? `M${address}` : `M0${address}`;
}

function segmentsOf(address: string): string[] {
  return address.split(/[./]/);
}

/** Whether a linkRoute's prefix or pattern covers `address` (whole segments, # and *). */
function linkRouteCovers(route: Record<string, unknown>, address: string): boolean {
  const wanted = segmentsOf(address);
  if (typeof route.prefix === "string") {
    const prefix = segmentsOf(route.prefix);
    return prefix.every((segment, i) => wanted[i] === segment);
  }
  if (typeof route.pattern !== "string") return false;
  const pattern = segmentsOf(route.pattern);
  const match = (p: number, w: number): boolean => {
    if (p === pattern.length) return w === wanted.length;
    if (pattern[p] === "#") return match(p + 1, w) || (w < wanted.length && match(p, w + 1));
    if (w === wanted.length) return false;
    return (pattern[p] === "*" || pattern[p] === wanted[w]) && match(p + 1, w + 1);
  };
  return match(0, 0);
}

async function processMesh(
  spec: TestMeshSpec,
  binary: RealEngine,
  options: StartTargetOptions,
): Promise<TargetMesh> {
  const flavour = engineFlavour(binary);
  const dir = await mkdtemp(join(tmpdir(), `amqp-mesh-${binary}-`));
  const reserved: number[] = [];
  const withheld = new Set(options.withheld ?? []);
  const formTimeout = options.formTimeout ?? FORM_TIMEOUT_MS;
  let configs: RouterConfig[];
  let started: RouterConfig[];
  let processes: RouterProcesses;
  try {
    configs = await wiredConfigs(spec, flavour, reserved);
    const users = await usersOf(spec);
    if (users !== undefined) {
      const sasl = await makeSaslDatabase(join(dir, "sasl"), users);
      for (const config of configs) {
        const router = config.entities.find((e) => e.type === "router");
        if (router) {
          router.attributes.saslConfigDir = sasl.configDir;
          router.attributes.saslConfigName = SASL_CONFIG_NAME;
        }
      }
    }
    started = configs.filter((c) => !withheld.has(c.routerId));
    processes = await startRealRouters(binary, started, join(dir, "routers"));
  } catch (error) {
    await releasePorts(reserved);
    await keepOrRemove(dir);
    throw error;
  }
  const modeOf = (id: string) => spec.routers.find((r) => r.id === id)?.mode ?? "interior";
  const configOf = (id: string): RouterConfig => {
    const config = configs.find((c) => c.routerId === id);
    if (!config) throw new Error(`no router '${id}' in this mesh`);
    return config;
  };
  const urlOf = (id: string) => processes.url(id);
  const interiors = spec.routers.filter((r) => (r.mode ?? "interior") === "interior");

  /** The lowest link costs between interiors, as the routers should settle on them. */
  const expectedCosts = (from: string): Map<string, number> => {
    const costs = new Map<string, number>([[from, 0]]);
    const done = new Set<string>();
    for (;;) {
      let current: string | undefined;
      for (const [id, cost] of costs)
        if (!done.has(id) && (current === undefined || cost < costs.get(current)!)) current = id;
      if (current === undefined) return costs;
      done.add(current);
      for (const [a, b, cost] of spec.links ?? []) {
        const other = a === current ? b : b === current ? a : undefined;
        if (other === undefined) continue;
        const via = costs.get(current)! + (cost ?? 1);
        if (via < (costs.get(other) ?? Number.POSITIVE_INFINITY)) costs.set(other, via);
      }
    }
  };

  /** Each router's own view (router.node rows, connections) and the end of its log. */
  const diagnosis = async (): Promise<string> => {
    const parts: string[] = [];
    for (const config of started) {
      const id = config.routerId;
      const ask = async (type: string, names: string[]) => {
        try {
          const rows = await withTimeout(query(urlOf(id), flavour, type, names), 5_000, type);
          return rows.length === 0 ? "(none)" : rows.map((r) => JSON.stringify(r)).join("\n    ");
        } catch (error) {
          return `(could not ask: ${error instanceof Error ? error.message : String(error)})`;
        }
      };
      const nodes =
        modeOf(id) === "interior"
          ? `\n  router.node rows:\n    ${await ask("router.node", ["id", "cost", "nextHop", "validOrigins", "linkState"])}`
          : "";
      const connections = await ask("connection", ["role", "dir", "host", "opened", "operStatus"]);
      const logFile = processes.logFile(id);
      const log = await readFile(logFile, "utf8").catch((e: Error) => `(no log: ${e.message})`);
      const tail = log
        .trimEnd()
        .split("\n")
        .filter((line) => !POLLING_NOISE.test(line))
        .slice(-LOG_LINES)
        .join("\n    ");
      parts.push(
        `router ${id} (${modeOf(id)}, ${urlOf(id)}):${nodes}\n  connections:\n    ${connections}\n  last ${LOG_LINES} lines of its log (without accepted connections):\n    ${tail}`,
      );
    }
    return parts.join("\n");
  };

  /** Listeners a router could not bind (its clients would reach whoever holds the port). */
  const bindErrors = async (): Promise<string[]> => {
    const errors: string[] = [];
    for (const config of started) {
      const log = await readFile(processes.logFile(config.routerId), "utf8").catch(() => "");
      for (const line of log.split("\n"))
        if (/Listener error .*Address already in use/.test(line))
          errors.push(`router ${config.routerId}: ${line.trim()}`);
    }
    return errors;
  };

  const waitForFormed = async (timeout = formTimeout): Promise<void> => {
    try {
      const taken = await bindErrors();
      if (taken.length > 0) throw new Error(`a listener's port was taken:\n${taken.join("\n")}`);
      await waitForLinks(timeout);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new MeshSetUpError(`${binary} mesh did not form: ${message}\n${await diagnosis()}`);
    }
  };

  const waitForLinks = async (timeout: number): Promise<void> => {
    // Every interior a link joins sees the others at the lowest cost the links give (until
    // then routing is still settling); every edge has its uplink.
    const linked = new Set<string>();
    for (const [from, to] of spec.links ?? []) linked.add(from).add(to);
    for (const r of interiors.filter((i) => linked.has(i.id) && !withheld.has(i.id))) {
      const expected = expectedCosts(r.id);
      await waitFor(
        async () => {
          const nodes = await query(urlOf(r.id), flavour, "router.node", ["id", "cost"]);
          const seen = new Map(nodes.map((n) => [String(n.id), n.cost]));
          return [...expected].every(([id, cost]) =>
            id === r.id ? seen.has(id) : Number(seen.get(id)) === cost,
          );
        },
        {
          timeout,
          interval: POLL_MS,
          what: `router ${r.id} to see routers ${[...linked].join(", ")} at their costs`,
        },
      );
    }
    for (const r of spec.routers.filter(
      (x) => (x.uplinks ?? []).length > 0 && !withheld.has(x.id),
    )) {
      await waitFor(
        async () => {
          const rows = await query(urlOf(r.id), flavour, "connection", ["role", "dir"]);
          return rows.some((row) => row.role === "edge" && row.dir === "out");
        },
        { timeout, interval: POLL_MS, what: `edge router ${r.id} to connect to its interior` },
      );
    }
  };

  const routerHandle = (id: string): TargetMeshRouter => ({
    id,
    mode: modeOf(id),
    url: urlOf(id),
    port: Number(new URL(urlOf(id)).port),
    stop: () => processes.kill(id),
    start: async () => {
      await processes.restart(id);
      await waitForFormed();
    },
  });

  const addressCount = async (routerId: string, address: string): Promise<number> => {
    const rows = await query(urlOf(routerId), flavour, "router.address", [
      "name",
      "subscriberCount",
      "remoteCount",
    ]);
    const row = rows.find((r) => r.name === mobileKey(flavour, address));
    return row ? Number(row.subscriberCount) + Number(row.remoteCount) : 0;
  };

  const mesh: TargetMesh = {
    engine: binary,
    flavour,
    routers: spec.routers.filter((r) => !withheld.has(r.id)).map((r) => routerHandle(r.id)),
    router: routerHandle,
    listenerUrl(routerId, name) {
      const found = configOf(routerId).entities.find(
        (e) => e.type === "listener" && e.attributes.name === name,
      );
      if (!found) throw new Error(`router ${routerId} has no listener '${name}'`);
      const scheme = found.attributes.sslProfile === undefined ? "amqp" : "amqps";
      return `${scheme}://127.0.0.1:${String(found.attributes.port)}`;
    },
    async waitForAddress(address, options = {}) {
      const wanted = options.consumers ?? 1;
      const at = options.router ?? interiors[0]?.id ?? spec.routers[0]!.id;
      // An edge knows its own consumers only (remoteCount 0 on both routers); the rest is
      // known at the interiors.
      const candidates = modeOf(at) === "edge" ? [at, ...interiors.map((i) => i.id)] : [at];
      await waitFor(
        async () => {
          for (const id of candidates) if ((await addressCount(id, address)) >= wanted) return true;
          return false;
        },
        {
          timeout: options.timeout ?? 10_000,
          interval: POLL_MS,
          what: `${wanted} consumer(s) of ${address} at ${at}`,
        },
      );
    },
    async waitForConnector(routerId, name, options = {}) {
      await waitFor(
        async () => {
          const rows = await query(urlOf(routerId), flavour, "connector", [
            "name",
            "connectionStatus",
          ]);
          return rows.some((r) => r.name === name && r.connectionStatus === "SUCCESS");
        },
        {
          timeout: options.timeout ?? 10_000,
          interval: POLL_MS,
          what: `connector ${name} of ${routerId} to connect`,
        },
      );
    },
    async waitForRoute(from, to, options = {}) {
      await waitFor(
        async () => {
          if (modeOf(from) === "edge") {
            const rows = await query(urlOf(from), flavour, "connection", ["role", "dir", "host"]);
            const uplink = configOf(from).entities.find(
              (e) => e.type === "connector" && e.attributes.name === `uplink-${to}`,
            );
            const viaTo = rows.some(
              (r) =>
                r.role === "edge" && String(r.host).endsWith(`:${String(uplink?.attributes.port)}`),
            );
            if (uplink !== undefined) return viaTo;
            // `to` is not an uplink: any uplink, then the mesh, reaches it.
            if (!rows.some((r) => r.role === "edge" && r.dir === "out")) return false;
            return true;
          }
          const nodes = await query(urlOf(from), flavour, "router.node", ["id"]);
          return nodes.some((n) => n.id === to);
        },
        {
          timeout: options.timeout ?? 15_000,
          interval: POLL_MS,
          what: `a route from ${from} to ${to}`,
        },
      );
    },
    async waitForLinkRoute(address, options = {}) {
      const directions = options.direction ? [options.direction] : ["in", "out"];
      // A router knows a link route as address C<prefix> (links in) / D<prefix> (links
      // out) with a local container connection or remote routers that have one; an attach
      // made before it knows is held unanswered (seen on qdrouterd 1.19.0).
      const at =
        options.router !== undefined && modeOf(options.router) === "interior"
          ? [options.router]
          : interiors.map((i) => i.id);
      const classes: Record<string, string> = { in: "C", out: "D" };
      await waitFor(
        async () => {
          for (const id of at) {
            const rows = await query(urlOf(id), flavour, "router.address", [
              "name",
              "containerCount",
              "remoteCount",
            ]);
            const known = (direction: string) =>
              rows.some((row) => {
                const name = String(row.name);
                if (!name.startsWith(classes[direction]!)) return false;
                const reach = Number(row.containerCount ?? 0) + Number(row.remoteCount ?? 0);
                return reach > 0 && linkRouteCovers({ prefix: name.slice(1) }, address);
              });
            if (!directions.every(known)) return false;
          }
          return true;
        },
        {
          timeout: options.timeout ?? 10_000,
          interval: POLL_MS,
          what: `a link route for ${address} to be known`,
        },
      );
    },
    async stop() {
      await processes.stop();
      running.delete(mesh);
      await releasePorts(reserved);
      await keepOrRemove(dir);
    },
    emulator: undefined,
  };
  try {
    await waitForFormed();
  } catch (error) {
    await mesh.stop();
    throw error;
  }
  return mesh;
}
