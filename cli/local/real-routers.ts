/** Real routers for the local platform and the tests: as processes, or as containers. */
import type { RouterConfig } from "../../shared/router-config/index.ts";
import { isContainerEngine, type RealEngine } from "./engine.ts";
import { startRouterContainers } from "./router-containers.ts";
import { type RouterExit, type RouterProcesses, startRouterProcesses } from "./router-processes.ts";

/**
 * `onExit`: supervise router processes (restart with backoff, report each step). Containers
 * are not supervised here: a container platform restarts its tasks itself.
 */
export function startRealRouters(
  engine: RealEngine,
  configs: readonly RouterConfig[],
  dir: string,
  options: { log?: (line: string) => void; onExit?: (event: RouterExit) => void } = {},
): Promise<RouterProcesses> {
  return isContainerEngine(engine)
    ? startRouterContainers(engine, configs, dir, options.log)
    : startRouterProcesses(engine, configs, dir, { onExit: options.onExit });
}
