/**
 * What the reliability suite runs on: a copy of the example project on free ports (never the
 * example's fixed ones), its routers started from the generated configs (the emulator, or
 * real routers with MESH_TARGET={"engine": …}), PLAIN users made up per run, the local HTTP
 * ingress in a child process (ingress-child.ts) connected as `up`'s local ingress is — to its
 * environment's edge routers, here as a failover list — and consumers on the receiving side.
 *
 *   const p = await startReliabilityPlatform();
 *   const consumer = await p.consume("sales/orders", "azure-we-edge-1");
 *   const answer = await p.post("sales/orders", body, { "content-type": "application/json" });
 *   await p.close();
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { MeshClient, type ReceivedMessage } from "../../shared/amqp/index.ts";
import { type ChannelRegistry, validateProject } from "../../shared/registry/index.ts";
import { consumerAddresses } from "../../shared/router-config/index.ts";
import type { Topology } from "../../shared/topology/index.ts";
import { engine } from "../conformance/target.ts";
import {
  copyExampleWithQueue,
  type GeneratedRouters,
  type ProjectCopy,
  startGeneratedRouters,
} from "../support/generated-routers.ts";
import { deleteQueues } from "../support/rabbitmq.ts";
import { withTimeout } from "../support/wait.ts";
import type { ChildMemory } from "./ingress-child.ts";

/** The one principal the routers let use $management (config-sync). */
export const SYNC_PRINCIPAL = "config-sync";

export const ENGINE = engine ?? "emulator";

export interface IngressChild {
  readonly url: string;
  /** API key per principal. */
  readonly keys: Readonly<Record<string, string>>;
  readonly process: ChildProcess;
  /** The child's memory after a full GC. */
  memory(): Promise<ChildMemory>;
  /** True while the child runs. */
  alive(): boolean;
  stop(): Promise<void>;
}

export interface ChannelConsumer {
  readonly address: string;
  readonly received: ReceivedMessage[];
  stop(): Promise<void>;
}

export interface ReliabilityPlatform {
  readonly project: ProjectCopy;
  readonly registry: ChannelRegistry;
  readonly topology: Topology;
  readonly routers: GeneratedRouters;
  readonly users: ReadonlyMap<string, string>;
  /** The ingress's environment's edge routers, its own first: its failover list. */
  readonly ingressEdges: readonly string[];
  readonly ingress: IngressChild;
  /** A principal of a team allowed to consume `address`. */
  consumerOf(address: string): string;
  /** A principal of a team allowed to produce `address`. */
  producerOf(address: string): string;
  /** A consumer on `address` at `routerId`, accepting everything; resolves once attached. */
  consume(address: string, routerId: string): Promise<ChannelConsumer>;
  close(): Promise<void>;
}

export interface PlatformOptions {
  /** Routers to start (default: all of the example topology). */
  only?: string[];
}

function madeUpPassword(principal: string): string {
  return `${principal}-${Math.random().toString(36).slice(2, 12)}`;
}

/** Starts the ingress child with the edge routers as its failover list. */
export async function startIngressChild(
  settings: { urls: string[]; users: Record<string, string>; projectDir: string },
  timeoutMs = 60_000,
): Promise<IngressChild> {
  const child = fork(
    fileURLToPath(new URL("./ingress-child.ts", import.meta.url)),
    [JSON.stringify(settings)],
    {
      // V8 grows the young generation with the allocation rate, up to 2 × 64 MiB here by
      // default: measured, the child's RSS rose 148 → 251 MiB over 60,000 hostile requests
      // and then stayed (heap used flat at 19–24 MiB; the new space 32 → 128 MiB was all of
      // it). Capped at 16 MiB semi-spaces, 150 → 170 MiB over 40,000, flat after 12,000; over
      // 100,000: 156 → 191 (70,000) → 138 → 163 MiB, heap total 57 MiB throughout.
      execArgv: ["--expose-gc", "--max-semi-space-size=16"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const ready = await withTimeout(
    new Promise<{ url: string; keys: Record<string, string> }>((resolve, reject) => {
      child.once("exit", (code) =>
        reject(new Error(`the ingress child exited (code ${code}) before it was ready`)),
      );
      const onMessage = (m: unknown): void => {
        const r = (m as { ready?: { url: string; keys: Record<string, string> } }).ready;
        if (r !== undefined) {
          child.off("message", onMessage);
          resolve(r);
        }
      };
      child.on("message", onMessage);
    }),
    timeoutMs,
    "the ingress child to listen",
  );
  return {
    url: ready.url,
    keys: ready.keys,
    process: child,
    alive: () => !exited,
    memory: () =>
      withTimeout(
        new Promise<ChildMemory>((resolve) => {
          const onMessage = (m: unknown): void => {
            const memory = (m as { memory?: ChildMemory }).memory;
            if (memory !== undefined) {
              child.off("message", onMessage);
              resolve(memory);
            }
          };
          child.on("message", onMessage);
          child.send({ memory: true });
        }),
        30_000,
        "the ingress child's memory figures",
      ),
    stop: async () => {
      if (exited) return;
      child.send({ stop: true });
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

export async function startReliabilityPlatform(
  options: PlatformOptions = {},
): Promise<ReliabilityPlatform> {
  // The broker connector logs in with the password the topology names (RabbitMQ's default).
  process.env.RABBIT_PASSWORD ??= "guest";
  // A broker queue of this run's own: what an earlier run left in the example's queue would
  // reach this run's consumers.
  const queue = `reliability-${process.pid}-${Date.now()}-invoices`;
  const project = await copyExampleWithQueue(queue);
  const { registry, topology } = await validateProject(project.dir);
  if (registry === undefined || topology === undefined)
    throw new Error("the example project copy is not valid");
  const users = new Map<string, string>();
  for (const team of registry.teams)
    for (const principal of team.principals) users.set(principal, madeUpPassword(principal));
  users.set(SYNC_PRINCIPAL, madeUpPassword(SYNC_PRINCIPAL));
  const routers = await startGeneratedRouters(project.dir, {
    engine: ENGINE,
    users,
    managementPrincipals: [SYNC_PRINCIPAL],
    ...(options.only === undefined ? {} : { only: options.only }),
  });
  const started = new Set(routers.topology.routers.map((r) => r.id));
  // Like a function of the first environment: that environment's edge routers, in order.
  const firstEdge = topology.routers.find((r) => r.mode === "edge" && started.has(r.id));
  if (firstEdge === undefined) throw new Error("no edge router started for the ingress");
  const ingressEdges = topology.routers
    .filter((r) => r.mode === "edge" && r.environment === firstEdge.environment)
    .filter((r) => started.has(r.id))
    .map((r) => r.id);
  const ingress = await startIngressChild({
    urls: ingressEdges.map((id) => routers.url(id)),
    users: Object.fromEntries(users),
    projectDir: project.dir,
  });

  const clients: MeshClient[] = [];
  const principalOf = (address: string, role: "consumers" | "producers"): string => {
    const channel = registry.channels.find((c) => c.address === address);
    if (channel === undefined) throw new Error(`no channel '${address}' in the registry`);
    for (const name of channel[role]) {
      const team = registry.teams.find((t) => t.team === name);
      const principal = team === undefined ? name : team.principals[0];
      if (principal !== undefined && users.has(principal)) return principal;
    }
    throw new Error(`no principal among the ${role} of '${address}'`);
  };
  const consumerOf = (address: string): string => principalOf(address, "consumers");
  return {
    project,
    registry,
    topology,
    routers,
    users,
    ingressEdges,
    ingress,
    consumerOf,
    producerOf: (address) => principalOf(address, "producers"),
    async consume(address, routerId) {
      const principal = consumerOf(address);
      const client = new MeshClient({
        urls: [routers.url(routerId)],
        sasl: { mechanism: "PLAIN", username: principal, password: users.get(principal) ?? "" },
        reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
        // A broker channel on skupper-router is read from its queue's outlet.
        consumerAddresses: consumerAddresses(registry, routers.flavour),
      });
      clients.push(client);
      const received: ReceivedMessage[] = [];
      const consumer = client.consume(address, (message) => void received.push(message), {
        prefetch: 200,
      });
      await consumer.ready();
      return { address, received, stop: () => consumer.stop() };
    },
    async close() {
      await ingress.stop();
      await Promise.all(clients.map((c) => c.close(200)));
      await routers.stop();
      await project.cleanup();
      await deleteQueues(queue);
    },
  };
}

/** A fixed-width table for the figures a run prints. */
export function table(title: string, rows: Array<[string, string | number]>): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `── ${title} ──`,
    ...rows.map(
      ([k, v]) => `  ${k.padEnd(width)}  ${typeof v === "number" ? v.toLocaleString("en") : v}`,
    ),
  ].join("\n");
}

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
