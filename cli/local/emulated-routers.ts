/** The local platform on the embedded emulator: every router in this process. */
import { startLocalMesh } from "../../emulator/index.ts";
import type { RouterConfig } from "../../shared/router-config/index.ts";
import type { Topology } from "../../shared/topology/index.ts";
import { type LocalRouters, routerUrl } from "./engine.ts";
import { onLoopback } from "./local-configs.ts";

export async function startEmulatedRouters(
  topology: Topology,
  configs: readonly RouterConfig[],
  users: ReadonlyMap<string, string>,
): Promise<LocalRouters> {
  const mesh = await startLocalMesh({
    topology,
    configs: configs.map(onLoopback),
    ports: "topology",
    users: new Map(users),
  });
  const routers = Object.values(mesh.routers).map((r) => ({ id: r.id, mode: r.mode, url: r.url }));
  return {
    engine: "emulator",
    routers,
    url: (id) => routerUrl(routers, id),
    stop: () => mesh.stop(),
  };
}
