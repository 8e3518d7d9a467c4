/** Which routers the local platform runs on, and what it needs of them. */
import type { RouterFlavour } from "../../shared/topology/index.ts";

export const ROUTER_BINARIES = ["qdrouterd", "skrouterd"] as const;
export type RouterBinary = (typeof ROUTER_BINARIES)[number];
/** The same routers as containers of images built here, started through the deploy's entrypoint. */
export const CONTAINER_ENGINES = ["container-qdrouterd", "container-skrouterd"] as const;
export type ContainerEngine = (typeof CONTAINER_ENGINES)[number];
export const ENGINES = ["emulator", ...ROUTER_BINARIES, ...CONTAINER_ENGINES] as const;
export type Engine = (typeof ENGINES)[number];
/** Real routers: processes or containers. */
export type RealEngine = Exclude<Engine, "emulator">;

export function isContainerEngine(engine: Engine): engine is ContainerEngine {
  return (CONTAINER_ENGINES as readonly string[]).includes(engine);
}

/** The router binary an engine runs (in a process, or in its container). */
export function binaryOf(engine: RealEngine): RouterBinary {
  return isContainerEngine(engine) ? (engine.slice("container-".length) as RouterBinary) : engine;
}

/** What to install for each binary. */
export const ROUTER_PRODUCTS: Record<RouterBinary, string> = {
  qdrouterd: "Apache Qpid Dispatch Router 1.19 (qdrouterd)",
  skrouterd: "skupper-router 3.5 (skrouterd)",
};

/** The config flavour each real router reads. */
export const BINARY_FLAVOUR: Record<RouterBinary, RouterFlavour> = {
  qdrouterd: "qpid-dispatch",
  skrouterd: "skupper-router",
};

export function engineFlavour(engine: RealEngine): RouterFlavour {
  return BINARY_FLAVOUR[binaryOf(engine)];
}

export interface RunningRouter {
  id: string;
  mode: "interior" | "edge";
  /** Where its clients connect (the clients listener), on loopback. */
  url: string;
}

/** The routers of a local platform, whatever runs them. */
export interface LocalRouters {
  readonly engine: Engine;
  readonly routers: readonly RunningRouter[];
  url(routerId: string): string;
  /** Stops every router; resolves when all are gone. */
  stop(): Promise<void>;
  /** Routers run as processes: those that exited on their own, each with the end of its log. */
  exited?(): Promise<string[]>;
}

export function routerUrl(routers: readonly RunningRouter[], routerId: string): string {
  const router = routers.find((r) => r.id === routerId);
  if (router === undefined) throw new Error(`no router '${routerId}' in the local platform`);
  return router.url;
}
