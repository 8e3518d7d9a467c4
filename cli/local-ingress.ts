/**
 * The HTTP ingress of the local platform: the shared core behind its node:http adapter on
 * loopback, publishing into the local mesh (emulated or real routers) as the caller (one client per principal, with
 * the run's PLAIN passwords, so the routers' policy applies as well). API keys are made up
 * per run for every principal and written next to the users file (never committed).
 */
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { MeshClient } from "../shared/amqp/index.ts";
import {
  CallerAuthenticator,
  createIngress,
  newApiKey,
  startLocalIngress,
} from "../shared/ingress/index.ts";
import {
  DeployedRegistry,
  runtimeValidators,
  snapshotRegistry,
} from "../shared/registry-snapshot/index.ts";
import { type LocalPlatform, SYNC_PRINCIPAL } from "./local-platform.ts";

export interface PlatformIngress {
  url: string;
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
  const principals = [...platform.users.keys()].filter((p) => p !== SYNC_PRINCIPAL);
  const apiKeys = principals.map((principal) => {
    const { key, entry } = newApiKey(principal);
    keys[principal] = key;
    return entry;
  });
  const keysFile = join(dirname(platform.usersFile), "local-ingress-keys.json");
  await writeFile(keysFile, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });

  // Like a function of the first environment: it talks to that environment's edge router.
  const router = topology.routers.find((r) => r.mode === "edge") ?? topology.routers[0];
  if (router === undefined) throw new Error("the topology has no router for the ingress");
  const url = platform.routers.url(router.id);
  const clients = new Map<string, MeshClient>();
  const clientFor = (principal: string): MeshClient => {
    let client = clients.get(principal);
    if (client === undefined) {
      client = new MeshClient({
        urls: [url],
        sasl: {
          mechanism: "PLAIN",
          username: principal,
          password: platform.users.get(principal) ?? "",
        },
        reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, maxAttempts: 5 },
      });
      clients.set(principal, client);
    }
    return client;
  };
  const anonymous = new MeshClient({ urls: [url] });
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
    keysFile,
    close: async () => {
      await server.close();
      await Promise.all([anonymous, ...clients.values()].map((c) => c.close(500)));
    },
  };
}
