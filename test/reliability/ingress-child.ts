/**
 * Child process of the reliability suite: the local HTTP ingress (the core behind its
 * node:http adapter, the example registry, runtime validators) publishing into the mesh as
 * the caller, as `up`'s local ingress does, in a process of its own so that its memory can
 * be measured apart from the load generator (run with --expose-gc).
 *
 * argv[2]: JSON { urls: string[], users: { principal: password } }.
 * IPC: child → { ready: { url, keys: { principal: apiKey } } };
 *      parent → { memory: true } → child { memory: process.memoryUsage() after a full GC };
 *      parent → { stop: true } → child closes and exits.
 */
import { getHeapSpaceStatistics, getHeapStatistics } from "node:v8";
import { startLocalIngress } from "../../functions/node/ingress.ts";
import { MeshClient } from "../../shared/amqp/index.ts";
import { CallerAuthenticator, createIngress, newApiKey } from "../../shared/ingress/index.ts";
import { validateProject } from "../../shared/registry/index.ts";
import {
  DeployedRegistry,
  runtimeValidators,
  snapshotRegistry,
} from "../../shared/registry-snapshot/index.ts";

interface ChildSettings {
  urls: string[];
  users: Record<string, string>;
  projectDir?: string;
}

const settings = JSON.parse(process.argv[2] ?? "{}") as ChildSettings;
const { registry } = await validateProject(settings.projectDir ?? "examples");
if (registry === undefined) throw new Error("the example project has no valid registry");
const deployed = new DeployedRegistry(snapshotRegistry(registry));
const keys: Record<string, string> = {};
const apiKeys = Object.keys(settings.users)
  .filter((principal) => deployed.isPrincipal(principal))
  .map((principal) => {
    const { key, entry } = newApiKey(principal);
    keys[principal] = key;
    return entry;
  });
const clients = new Map<string, MeshClient>();
const reconnect = { initialDelayMs: 50, maxDelayMs: 500 };
const clientFor = (principal: string): MeshClient => {
  let client = clients.get(principal);
  if (client === undefined) {
    client = new MeshClient({
      urls: settings.urls,
      sasl: { mechanism: "PLAIN", username: principal, password: settings.users[principal] ?? "" },
      reconnect,
    });
    clients.set(principal, client);
  }
  return client;
};
const anonymous = new MeshClient({ urls: settings.urls, reconnect });
const ingress = createIngress({
  registry: deployed,
  authenticator: new CallerAuthenticator(deployed, { apiKeys }),
  validators: runtimeValidators(),
  publisher: anonymous,
  publisherFor: clientFor,
});
const server = await startLocalIngress(ingress);

/** What the parent measures: the process's memory after a full collection. */
export interface ChildMemory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  /** Outside the JS heap, allocated by V8 itself (zones, compiled code). */
  mallocedMemory: number;
  /** Bytes reserved per V8 heap space (new_space, old_space, large_object_space...). */
  spaces: Record<string, number>;
}

function memoryAfterGc(): ChildMemory {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const { rss, heapTotal, heapUsed, external } = process.memoryUsage();
  const spaces = Object.fromEntries(
    getHeapSpaceStatistics().map((space) => [space.space_name, space.space_size]),
  );
  return {
    rss,
    heapTotal,
    heapUsed,
    external,
    mallocedMemory: getHeapStatistics().malloced_memory,
    spaces,
  };
}

process.on("message", (raw: unknown) => {
  const message = raw as { memory?: boolean; stop?: boolean };
  if (message.memory) process.send?.({ memory: memoryAfterGc() });
  if (message.stop)
    void server
      .close()
      .then(() => Promise.all([anonymous, ...clients.values()].map((c) => c.close(200))))
      .finally(() => process.exit(0));
});
process.on("disconnect", () => process.exit(0));
process.send?.({ ready: { url: server.url, keys } });
