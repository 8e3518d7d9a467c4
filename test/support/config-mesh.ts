/**
 * Starting the emulator from router config files, as real routers are started: the mesh's
 * shape comes from the files themselves. An `inter-router` connector links its router to the
 * router whose `inter-router` listener has that port (cost: the connector's, default 1); an
 * `edge` connector makes its router an edge behind the router whose `edge` listener has that
 * port. Client listeners bind free ports.
 *
 *   const mesh = await startMeshFromConfigFiles(["a.json", "b.json"], { flavour: "skupper-router" });
 *   mesh.router("SkA").url;
 */
import { type LocalMesh, localTopology, startLocalMesh } from "../../emulator/index.ts";
import type { RouterConfig } from "../../shared/router-config/index.ts";
import { readRouterConfigFile } from "../../shared/router-config/index.ts";
import type { RouterFlavour, Topology } from "../../shared/topology/index.ts";

type Role = "inter-router" | "edge";

function portsOf(config: RouterConfig, type: "listener" | "connector", role: Role): string[] {
  return config.entities
    .filter((e) => e.type === type && e.attributes.role === role)
    .map((e) => String(e.attributes.port));
}

/** The router whose `role` listener has `port`; a clear error when none has. */
function listenerOwner(configs: RouterConfig[], role: Role, port: string, from: string): string {
  const owner = configs.find((c) => portsOf(c, "listener", role).includes(port));
  if (!owner) {
    throw new Error(
      `router ${from}: its ${role} connector to port ${port} matches no ${role} listener of the given configs`,
    );
  }
  return owner.routerId;
}

/** The topology the configs describe (links and uplinks from connectors and listeners). */
export function topologyOfConfigs(configs: RouterConfig[], flavour: RouterFlavour): Topology {
  const links: Topology["links"] = [];
  for (const config of configs) {
    for (const connector of config.entities.filter(
      (e) => e.type === "connector" && e.attributes.role === "inter-router",
    )) {
      const to = listenerOwner(
        configs,
        "inter-router",
        String(connector.attributes.port),
        config.routerId,
      );
      const cost = Number(connector.attributes.cost ?? 1);
      links.push({ from: config.routerId, to, cost });
    }
  }
  return localTopology(
    flavour,
    configs.map((config) => ({
      id: config.routerId,
      mode: config.mode,
      uplinks: portsOf(config, "connector", "edge").map((port) =>
        listenerOwner(configs, "edge", port, config.routerId),
      ),
    })),
    links,
  );
}

/** Reads the config files (`.json` or `.conf`) and starts them as one mesh on free ports. */
export async function startMeshFromConfigFiles(
  paths: readonly string[],
  options: { flavour: RouterFlavour },
): Promise<LocalMesh> {
  const configs = await Promise.all(
    paths.map((path) => readRouterConfigFile(path, { flavour: options.flavour })),
  );
  return startLocalMesh({
    topology: topologyOfConfigs(configs, options.flavour),
    configs,
    ports: "ephemeral",
  });
}
