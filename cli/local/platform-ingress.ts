/**
 * The HTTP ingress of the local platform: the shared core behind its node:http adapter on
 * loopback, publishing into the local mesh (emulated or real routers) as the caller (one client per principal, with
 * the run's PLAIN passwords, so the routers' policy applies as well). API keys are made up
 * per run for every principal and written next to the users file (never committed). Like the
 * clouds' ingress, it gets its environment's edge routers as a failover list, in the settings
 * shape the deployed ingress reads (MESH_URLS): one edge router down, it publishes through the
 * next.
 */
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { startLocalIngress } from "../../functions/node/ingress.ts";
import { MeshClient } from "../../shared/amqp/index.ts";
import {
  CallerAuthenticator,
  createIngress,
  ingressSettingsFromEnv,
  newApiKey,
} from "../../shared/ingress/index.ts";
import { isReservedName } from "../../shared/registry/index.ts";
import {
  DeployedRegistry,
  runtimeValidators,
  snapshotRegistry,
} from "../../shared/registry-snapshot/index.ts";
import type { Topology } from "../../shared/topology/index.ts";
import type { LocalPlatform } from "./platform.ts";

/** A publish waits for a router at most this long: a few tries over the list, then 503. */
const INGRESS_RECONNECT = { initialDelayMs: 100, maxDelayMs: 1_000, maxAttempts: 5 };

/**
 * The routers the ingress connects to, in failover order: the edge routers of the first
 * environment that has any (the ingress runs as that environment's function), else its
 * routers (a topology without edges).
 */
export function ingressRouters(topology: Topology): string[] {
  const edges = topology.routers.filter((r) => r.mode === "edge");
  const environment = (edges[0] ?? topology.routers[0])?.environment;
  const own = (edges.length > 0 ? edges : topology.routers).filter(
    (r) => r.environment === environment,
  );
  if (own.length === 0) throw new Error("the topology has no router for the ingress");
  return own.map((r) => r.id);
}

export interface PlatformIngress {
  url: string;
  /** The routers it publishes through, in failover order. */
  routers: string[];
  keysFile: string;
  close(): Promise<void>;
}

/** What the ingress needs of a running local platform. */
export type IngressPlatform = Pick<LocalPlatform, "project" | "routers" | "users" | "usersFile">;

export async function startPlatformIngress(
  platform: IngressPlatform,
  options: { port?: number } = {},
): Promise<PlatformIngress> {
  const { registry, topology } = platform.project;
  const ingressRegistry = new DeployedRegistry(snapshotRegistry(registry));
  const keys: Record<string, string> = {};
  // The config-sync login publishes nothing: it gets no API key.
  // The platform's own logins (config-sync, the verify probe) publish through no ingress.
  const principals = [...platform.users.keys()].filter((p) => !isReservedName(p));
  const apiKeys = principals.map((principal) => {
    const { key, entry } = newApiKey(principal);
    keys[principal] = key;
    return entry;
  });
  const keysFile = join(dirname(platform.usersFile), "local-ingress-keys.json");
  await writeFile(keysFile, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });

  // Like a function of the first environment: that environment's edge routers, in failover order.
  const routers = ingressRouters(topology);
  const { mesh } = ingressSettingsFromEnv({
    MESH_URLS: routers.map((id) => platform.routers.url(id)).join(","),
  });
  const clients = new Map<string, MeshClient>();
  const clientFor = (principal: string): MeshClient => {
    let client = clients.get(principal);
    if (client === undefined) {
      client = new MeshClient({
        ...mesh,
        sasl: {
          mechanism: "PLAIN",
          username: principal,
          password: platform.users.get(principal) ?? "",
        },
        reconnect: INGRESS_RECONNECT,
      });
      clients.set(principal, client);
    }
    return client;
  };
  const anonymous = new MeshClient({ ...mesh, reconnect: INGRESS_RECONNECT });
  const ingress = createIngress({
    registry: ingressRegistry,
    authenticator: new CallerAuthenticator(ingressRegistry, { apiKeys }),
    validators: runtimeValidators(),
    publisher: anonymous,
    publisherFor: clientFor,
  });
  const server = await startLocalIngress(
    ingress,
    options.port === undefined ? {} : { port: options.port },
  );
  return {
    url: server.url,
    routers,
    keysFile,
    close: async () => {
      await server.close();
      await Promise.all([anonymous, ...clients.values()].map((c) => c.close(500)));
    },
  };
}
