/**
 * What the conformance suite runs against: the emulator (default), or the running router
 * network a `MESH_TARGET` JSON file describes (see README.md in this folder). Capabilities
 * are known synchronously so that checks can be skipped, with their reason, at collection.
 */
import { readFileSync } from "node:fs";
import type { LocalMesh } from "../../emulator/index.ts";
import { type RouterEntity, typePrefix } from "../../shared/router-config/model.ts";
import type { RouterFlavour } from "../../shared/topology/schema.ts";
import { connectClient } from "../support/amqp-client.ts";
import { address, startTestMesh, stopAllMeshes, type TestMeshSpec } from "../support/local-mesh.ts";
import { waitFor } from "../support/wait.ts";

export interface TargetRouter {
  id: string;
  url: string;
  mode: "interior" | "edge";
  flavour: RouterFlavour;
}

export interface TargetLink {
  from: string;
  to: string;
  cost: number;
}

/** The MESH_TARGET file. Only `routers` is required. */
export interface TargetFile {
  routers: TargetRouter[];
  /** Inter-router links with costs; multi-router checks need them. */
  links?: TargetLink[];
  /** Address prefixes configured with each distribution (defaults: the names themselves). */
  prefixes?: Partial<Record<"closest" | "multicast" | "balanced", string>>;
  /** A listener with maxMessageSize configured. */
  maxMessageSize?: { url: string; limit: number };
}

export interface Target {
  kind: "emulator" | "external";
  flavour: RouterFlavour;
  routers: TargetRouter[];
  links: TargetLink[];
  prefixes: Record<"closest" | "multicast" | "balanced", string>;
  maxMessageSize: { url: string; limit: number } | undefined;
  /** Failure injection and inspection; only the emulator has it. */
  mesh: LocalMesh | undefined;
}

export const TARGET_FILE = process.env.MESH_TARGET;

function readTargetFile(path: string): TargetFile {
  const parsed = JSON.parse(readFileSync(path, "utf8")) as TargetFile;
  if (!Array.isArray(parsed.routers) || parsed.routers.length === 0) {
    throw new Error(`MESH_TARGET ${path}: "routers" must list at least one router`);
  }
  return parsed;
}

const file = TARGET_FILE ? readTargetFile(TARGET_FILE) : undefined;

/** True when checks run against the emulator (failure injection, known topology). */
export const onEmulator = file === undefined;

/** Why emulator-only checks are skipped on a real router network. */
export const NEEDS_EMULATOR = "needs failure injection / a configured topology (emulator only)";

/** The emulator's topology for the suite: interiors a—b—c (+ a costly a—c), two edges. */
export const EMULATOR_MESH: TestMeshSpec = {
  routers: [
    { id: "a" },
    { id: "b" },
    { id: "c" },
    { id: "ea", mode: "edge", uplinks: ["a"] },
    { id: "ec", mode: "edge", uplinks: ["c", "b"] },
  ],
  // A line a—b—c with a costly direct a—c link for rerouting when b or a link fails.
  links: [
    ["a", "b", 1],
    ["b", "c", 1],
    ["a", "c", 5],
  ],
  entities: {
    "*": [
      address("closest", "closest"),
      address("multicast", "multicast"),
      address("balanced", "balanced"),
    ] satisfies RouterEntity[],
    a: [
      {
        type: "listener",
        attributes: {
          name: "limited",
          host: "127.0.0.1",
          port: "0",
          role: "normal",
          maxMessageSize: 4096,
        },
      },
    ],
  },
};

/** Interior routers of a target with a known line topology, for multi-router checks. */
export function hasMultipleInteriors(): boolean {
  if (onEmulator) return true;
  const interiors = file!.routers.filter((r) => r.mode === "interior");
  return interiors.length >= 2 && (file!.links?.length ?? 0) > 0;
}

/** Whether the target has edge routers (known at collection time). */
export function hasEdgeRouters(): boolean {
  return onEmulator || file!.routers.some((r) => r.mode === "edge");
}

export async function openTarget(): Promise<Target> {
  if (file) {
    return {
      kind: "external",
      flavour: file.routers[0]!.flavour,
      routers: file.routers,
      links: file.links ?? [],
      prefixes: {
        closest: file.prefixes?.closest ?? "closest",
        multicast: file.prefixes?.multicast ?? "multicast",
        balanced: file.prefixes?.balanced ?? "balanced",
      },
      maxMessageSize: file.maxMessageSize,
      mesh: undefined,
    };
  }
  const mesh = await startTestMesh(EMULATOR_MESH);
  const limited = mesh.router("a").router.listener("limited");
  return {
    kind: "emulator",
    flavour: "qpid-dispatch",
    routers: Object.values(mesh.routers).map((r) => ({
      id: r.id,
      url: r.url,
      mode: r.mode,
      flavour: "qpid-dispatch" as const,
    })),
    links: (EMULATOR_MESH.links ?? []).map(([from, to, cost]) => ({ from, to, cost: cost ?? 1 })),
    prefixes: { closest: "closest", multicast: "multicast", balanced: "balanced" },
    maxMessageSize: limited ? { url: limited.url, limit: 4096 } : undefined,
    mesh,
  };
}

export async function closeTarget(): Promise<void> {
  await stopAllMeshes();
}

let counter = 0;
/** A fresh address under a distribution's prefix, unique per run. */
export function uniqueAddress(prefix: string, label: string): string {
  counter++;
  return `${prefix}.${label}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export function routerUrl(target: Target, id?: string): string {
  const router = id ? target.routers.find((r) => r.id === id) : target.routers[0];
  if (!router) throw new Error(`target has no router '${id}'`);
  return router.url;
}

/**
 * Waits until `consumers` consumers of `address` are known at router `routerId`: on the
 * emulator from its mesh state; on a real network by polling the router's router.address
 * entity (local subscriberCount plus remoteCount routers) through management.
 */
export async function waitForConsumers(
  target: Target,
  routerId: string,
  address: string,
  consumers: number,
  routersWithConsumers = consumers,
): Promise<void> {
  if (target.mesh) {
    await target.mesh.waitForAddress(address, { router: routerId, consumers });
    return;
  }
  const client = await connectClient(routerUrl(target, routerId));
  try {
    await waitFor(
      async () => {
        const reply = await client.management(
          {
            operation: "QUERY",
            type: "org.amqp.management",
            entityType: `${typePrefix(target.flavour)}.router.address`,
          },
          { attributeNames: ["name", "subscriberCount", "remoteCount"] },
        );
        const rows = (reply.body as { results: Array<[string, number, number]> }).results;
        const row = rows.find(([name]) => name.endsWith(address));
        if (!row) return false;
        return (row[1] > 0 ? 1 : 0) + row[2] >= routersWithConsumers;
      },
      { timeout: 10_000, what: `${consumers} consumer(s) of ${address} known at ${routerId}` },
    );
  } finally {
    await client.close();
  }
}
