/** The local platform on the embedded emulator: every router in this process. */
import { startLocalMesh } from "../../emulator/index.ts";
import type { RouterConfig } from "../../shared/router-config/index.ts";
import type { Topology } from "../../shared/topology/index.ts";
import { type LocalRouters, routerUrl } from "./engine.ts";
import { LocalPlatformError } from "./errors.ts";
import { onLoopback } from "./local-configs.ts";

/** A listener's port already taken: a run-time failure that says which port and what to do. */
function portInUse(error: unknown): LocalPlatformError | undefined {
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.code !== "EADDRINUSE") return undefined;
  return new LocalPlatformError(
    `port ${e.port ?? "?"} on ${e.address ?? "127.0.0.1"} is already in use (another amqp-mesh up, or another program): stop it, or change the topology's ports`,
  );
}

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
  }).catch((error: unknown) => {
    throw portInUse(error) ?? error;
  });
  const routers = Object.values(mesh.routers).map((r) => ({ id: r.id, mode: r.mode, url: r.url }));
  return {
    engine: "emulator",
    routers,
    url: (id) => routerUrl(routers, id),
    stop: () => mesh.stop(),
  };
}
