/** Which routers the local platform runs on, and what it needs of them. */
import type { RouterFlavour } from "../../shared/topology/index.ts";

export const ENGINES = ["emulator", "qdrouterd", "skrouterd"] as const;
export type Engine = (typeof ENGINES)[number];
export type RouterBinary = Exclude<Engine, "emulator">;

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
