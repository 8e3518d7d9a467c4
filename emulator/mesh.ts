/**
 * A local router mesh: every router of a topology in this process, each on its own TCP
 * port, sharing one RoutingCore (inter-router links are in-process, with the topology's costs).
 * Failure injection: stop/start a router (its clients' sockets drop, paths recompute) and
 * cut/restore a link. Waiting helpers poll the mesh state; nothing sleeps.
 */
import type { RouterConfig, RouterEntity } from "../shared/router-config/index.ts";
import type { RouterFlavour } from "../shared/router-vocabulary/index.ts";
import type { Topology } from "../shared/topology/index.ts";
import type { Attributes } from "./entities/schema.ts";
import { loadUsersFile, type Users } from "./protocol/sasl.ts";
import { EmulatedRouter } from "./router.ts";
import { MeshGraph } from "./routing/paths.ts";
import { RoutingCore } from "./routing/routing-core.ts";

export interface RouterHandle {
  readonly id: string;
  readonly mode: "interior" | "edge";
  /** URL of the router's first client listener, e.g. amqp://127.0.0.1:40123. */
  readonly url: string;
  readonly port: number;
  readonly running: boolean;
  /** The emulated router itself, for inspection. */
  readonly router: EmulatedRouter;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface StartLocalMeshOptions {
  topology: Topology;
  /** Router configs (as generated); routers without one get a client listener only. */
  configs?: readonly RouterConfig[] | Readonly<Record<string, RouterConfig>>;
  /** "ephemeral" (default) binds client listeners to free ports; "topology" uses theirs. */
  ports?: "ephemeral" | "topology";
  /** PLAIN users: a map or the path of a users file (see sasl.ts for the format). */
  users?: Users | string;
}

export interface WaitOptions {
  timeout?: number;
}

export interface LocalMesh {
  readonly routers: Readonly<Record<string, RouterHandle>>;
  readonly routing: RoutingCore;
  router(id: string): RouterHandle;
  stop(): Promise<void>;
  cutLink(a: string, b: string): void;
  restoreLink(a: string, b: string): void;
  /** Resolves once `consumers` (default 1) destinations of the address are reachable. */
  waitForAddress(
    address: string,
    options?: WaitOptions & { router?: string; consumers?: number },
  ): Promise<void>;
  /** Resolves once `to` is reachable from `from` over running routers and up links. */
  waitForRoute(from: string, to: string, options?: WaitOptions): Promise<void>;
  /** Resolves once the router's connector `name` has its (broker) connection open. */
  waitForConnector(routerId: string, name: string, options?: WaitOptions): Promise<void>;
  /**
   * Resolves once an attach on `address` at `router` (default: any router) would be
   * link-routed to an open broker connection — in both directions unless `direction`
   * ("in": client senders, "out": client receivers) says which.
   */
  waitForLinkRoute(
    address: string,
    options?: WaitOptions & { router?: string; direction?: "in" | "out" },
  ): Promise<void>;
}

/** A local mesh used wrongly or waited on in vain (not shared/amqp's MeshError, a client's). */
export class LocalMeshError extends Error {
  override readonly name = "LocalMeshError";
}

/**
 * Polls `condition` every few ms until true; rejects with `what` after `timeout` ms. The
 * mesh's own waits only: tests wait with test/support/wait.ts.
 */
async function pollUntil(condition: () => boolean, what: string, timeout = 5_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new LocalMeshError(`timed out after ${timeout} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function minimalConfig(topology: Topology, id: string): RouterConfig {
  const router = topology.routers.find((r) => r.id === id)!;
  const clients = router.listeners.clients;
  const listener: RouterEntity = {
    type: "listener",
    attributes: {
      name: "clients",
      host: clients.host,
      port: String(clients.port),
      role: "normal",
      saslMechanisms: clients.saslMechanisms.join(" "),
      authenticatePeer: clients.authenticatePeer,
    },
  };
  return {
    routerId: id,
    mode: router.mode,
    flavour: topology.flavour,
    entities: [{ type: "router", attributes: { id, mode: router.mode } }, listener],
  };
}

function configFor(options: StartLocalMeshOptions, id: string): RouterConfig {
  const { configs } = options;
  if (configs) {
    const found = Array.isArray(configs)
      ? (configs as readonly RouterConfig[]).find((c) => c.routerId === id)
      : (configs as Readonly<Record<string, RouterConfig>>)[id];
    if (found) return found;
  }
  return minimalConfig(options.topology, id);
}

export async function startLocalMesh(options: StartLocalMeshOptions): Promise<LocalMesh> {
  const { topology } = options;
  const graph = new MeshGraph();
  for (const r of topology.routers) {
    graph.addNode({ id: r.id, mode: r.mode, running: false, uplinks: r.uplinks });
  }
  for (const link of topology.links) {
    if (!graph.nodes.has(link.from) || !graph.nodes.has(link.to)) {
      throw new LocalMeshError(`link ${link.from} → ${link.to} names an unknown router`);
    }
    graph.addEdge(link.from, link.to, link.cost);
  }
  const routing = new RoutingCore(graph);
  const users =
    typeof options.users === "string" ? loadUsersFile(options.users) : (options.users ?? new Map());
  const ephemeral = (options.ports ?? "ephemeral") === "ephemeral";
  const routers: Record<string, RouterHandle> = {};
  const started: EmulatedRouter[] = [];
  try {
    for (const r of topology.routers) {
      const router = new EmulatedRouter({
        config: configFor(options, r.id),
        routing,
        users,
        listenerPort: (attributes: Attributes) =>
          ephemeral && (attributes.role ?? "normal") === "normal" ? 0 : undefined,
      });
      await router.start();
      started.push(router);
      routers[r.id] = {
        id: r.id,
        mode: r.mode,
        router,
        get url() {
          return router.url;
        },
        get port() {
          return router.port;
        },
        get running() {
          return router.running;
        },
        stop: () => router.stop(),
        start: () => router.start(),
      };
    }
  } catch (error) {
    for (const router of started) await router.stop();
    throw error;
  }

  const handle = (id: string): RouterHandle => {
    const found = routers[id];
    if (!found) throw new LocalMeshError(`no router '${id}' in this mesh`);
    return found;
  };
  const setLink = (a: string, b: string, up: boolean): void => {
    handle(a);
    handle(b);
    if (!graph.setLinkUp(a, b, up)) throw new LocalMeshError(`no link between '${a}' and '${b}'`);
    routing.topologyChanged();
  };

  return {
    routers,
    routing,
    router: handle,
    async stop() {
      for (const r of Object.values(routers)) await r.stop();
    },
    cutLink: (a, b) => setLink(a, b, false),
    restoreLink: (a, b) => setLink(a, b, true),
    async waitForAddress(address, waitOptions = {}) {
      const wanted = waitOptions.consumers ?? 1;
      const from = waitOptions.router;
      const count = (): number => {
        if (from === undefined) return routing.destinations(address).length;
        const r = handle(from).router;
        return routing.candidates(from, r.consumerKey(address)).length;
      };
      await pollUntil(
        () => count() >= wanted,
        `address '${address}' to have ${wanted} consumer(s)${from ? ` reachable from ${from}` : ""} (has ${count()})`,
        waitOptions.timeout,
      );
    },
    async waitForRoute(from, to, waitOptions = {}) {
      await pollUntil(
        () => graph.distancesFrom(from).has(to),
        `a route from ${from} to ${to}`,
        waitOptions.timeout,
      );
    },
    async waitForConnector(routerId, name, waitOptions = {}) {
      const router = handle(routerId).router;
      await pollUntil(
        () => router.brokers.connectorUp(name),
        `connector '${name}' of ${routerId} to connect (${router.brokers.connectorError(name) ?? "no error yet"})`,
        waitOptions.timeout,
      );
    },
    async waitForLinkRoute(address, waitOptions = {}) {
      const directions = waitOptions.direction ? [waitOptions.direction] : (["in", "out"] as const);
      const from =
        waitOptions.router !== undefined ? [handle(waitOptions.router).id] : Object.keys(routers);
      const ready = (): boolean =>
        directions.every((d) =>
          from.some((id) => routing.findLinkRoute(id, address, d)?.handler !== undefined),
        );
      await pollUntil(
        ready,
        `'${address}' to be link-routed to an open broker connection${waitOptions.router ? ` from ${waitOptions.router}` : ""}`,
        waitOptions.timeout,
      );
    },
  };
}

/**
 * The topology of routers that run from their configs on this host: the emulator takes a
 * router's listeners from its config, so the topology only says who the routers are, how
 * they are linked (cost) and which interiors an edge uplinks to.
 */
export function localTopology(
  flavour: RouterFlavour,
  routers: ReadonlyArray<{ id: string; mode: "interior" | "edge"; uplinks?: string[] }>,
  links: Topology["links"] = [],
): Topology {
  return {
    flavour,
    sasl: {},
    environments: [{ name: "local", cloud: "local", region: "local" }],
    tlsProfiles: [],
    routers: routers.map((r) => ({
      id: r.id,
      environment: "local",
      mode: r.mode,
      host: "127.0.0.1",
      listeners: {
        clients: {
          port: 5672,
          host: "127.0.0.1",
          saslMechanisms: ["ANONYMOUS"],
          authenticatePeer: false,
        },
      },
      uplinks: r.uplinks ?? [],
    })),
    links,
    brokers: [],
  };
}

/** One router on its own (a one-router mesh) from a router config. */
export async function startStandaloneRouter(
  config: RouterConfig,
  options: { users?: Users | string; ports?: "ephemeral" | "topology" } = {},
): Promise<LocalMesh> {
  const topology = localTopology(config.flavour, [{ id: config.routerId, mode: config.mode }]);
  return startLocalMesh({ topology, configs: [config], ...options });
}
