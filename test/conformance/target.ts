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

interface AddressRow {
  subscriberCount: number;
  remoteCount: number;
}

/**
 * A router's router.address row for mobile `address`, if it has one: qdrouterd 1.19 names
 * it `M0<address>` (phase 0), skupper-router 3.5 `M<address>` (it has no phases).
 */
async function addressRow(
  target: Target,
  routerId: string,
  address: string,
): Promise<AddressRow | undefined> {
  const client = await connectClient(routerUrl(target, routerId));
  try {
    const reply = await client.management(
      {
        operation: "QUERY",
        type: "org.amqp.management",
        entityType: `${typePrefix(target.flavour)}.router.address`,
      },
      { attributeNames: ["name", "subscriberCount", "remoteCount"] },
    );
    const rows = (reply.body as { results: Array<[string, number, number]> }).results;
    const key = target.flavour === "skupper-router" ? `M${address}` : `M0${address}`;
    const row = rows.find(([name]) => name === key);
    return row ? { subscriberCount: row[1], remoteCount: row[2] } : undefined;
  } finally {
    await client.close();
  }
}

/**
 * Waits until `consumers` consumers of `address` are known at router `routerId`: on the
 * emulator from its mesh state; on a real network by polling the router's router.address
 * entity (local subscriberCount plus remoteCount routers) through management. `consumers`
 * 0 waits until the router knows of none.
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
  await waitFor(
    async () => {
      const row = await addressRow(target, routerId, address);
      if (consumers === 0) return !row || row.subscriberCount + row.remoteCount === 0;
      if (!row) return false;
      return (row.subscriberCount > 0 ? 1 : 0) + row.remoteCount >= routersWithConsumers;
    },
    { timeout: 10_000, what: `${consumers} consumer(s) of ${address} known at ${routerId}` },
  );
}

/**
 * Waits until the consumers placed on routers (`placement`: router id → consumers there)
 * are known across the mesh. On a real network an edge router knows only its own
 * consumers (qdrouterd 1.19: an edge's router.address shows remoteCount 0 whatever the mesh
 * has) and an interior counts an edge's consumers as one local subscriber, the edge link;
 * so this waits until every router shows its own, every interior counts the other interiors
 * with consumers as remote, and the interiors together count every edge that has some.
 */
export async function waitForPlacedConsumers(
  target: Target,
  address: string,
  placement: Record<string, number>,
): Promise<void> {
  const total = Object.values(placement).reduce((a, b) => a + b, 0);
  if (target.mesh) {
    for (const id of Object.keys(placement)) {
      await target.mesh.waitForAddress(address, { router: id, consumers: total });
    }
    return;
  }
  const placed = target.routers.filter((r) => (placement[r.id] ?? 0) > 0);
  const interiors = target.routers.filter((r) => r.mode === "interior");
  const edgesWithConsumers = placed.filter((r) => r.mode === "edge").length;
  await waitFor(
    async () => {
      let interiorSubscribers = 0;
      let ownOnInteriors = 0;
      for (const router of target.routers) {
        const row = await addressRow(target, router.id, address);
        const own = placement[router.id] ?? 0;
        if ((row?.subscriberCount ?? 0) < own) return false;
        if (router.mode !== "interior") continue;
        interiorSubscribers += row?.subscriberCount ?? 0;
        ownOnInteriors += own;
        const otherInteriors = placed.filter(
          (r) => r.mode === "interior" && r.id !== router.id,
        ).length;
        if ((row?.remoteCount ?? 0) < otherInteriors) return false;
      }
      return interiors.length === 0 || interiorSubscribers >= ownOnInteriors + edgesWithConsumers;
    },
    { timeout: 10_000, what: `the consumers of ${address} known across the mesh` },
  );
}
