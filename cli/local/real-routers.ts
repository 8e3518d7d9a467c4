/** Real routers for the local platform and the tests: as processes, or as containers. */
import type { RouterConfig } from "../../shared/router-config/index.ts";
import { isContainerEngine, type RealEngine } from "./engine.ts";
import { startRouterContainers } from "./router-containers.ts";
import { type RouterProcesses, startRouterProcesses } from "./router-processes.ts";

export function startRealRouters(
  engine: RealEngine,
  configs: readonly RouterConfig[],
  dir: string,
  log?: (line: string) => void,
): Promise<RouterProcesses> {
  return isContainerEngine(engine)
    ? startRouterContainers(engine, configs, dir, log)
    : startRouterProcesses(engine, configs, dir);
}
