/**
 * What the conformance suite runs against (see README.md in this folder), from MESH_TARGET:
 * - unset: the emulator, started by the suite;
 * - `{"engine": "qdrouterd" | "skrouterd"}`: real router processes of that binary (on
 *   PATH), started by the suite from the same specs as the emulator;
 * - `{"engine": "container-qdrouterd" | "container-skrouterd"}`: the same routers as podman
 *   containers of the images built here, through the deploy's entrypoint;
 * - `{"routers": [...]}`: a router network already running elsewhere.
 * Capabilities are known synchronously so that checks can be skipped, with their reason,
 * at collection.
 */
import { readFileSync } from "node:fs";
import { ENGINES, engineFlavour, type RealEngine } from "../../cli/local/engine.ts";
import type { LocalMesh } from "../../emulator/index.ts";
import { type RouterEntity, typePrefix } from "../../shared/router-config/index.ts";
import type { RouterFlavour } from "../../shared/topology/index.ts";
import { connectClient } from "../support/amqp-client.ts";
import { address, stopAllMeshes, type TestMeshSpec } from "../support/local-mesh.ts";
import {
  type MeshEngine,
  startTargetMesh,
  stopTargetMeshes,
  type TargetMesh,
} from "../support/target-mesh.ts";
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

/** The MESH_TARGET file: an `engine` the suite starts itself, or running `routers`. */
export interface TargetFile {
  engine?: RealEngine;
  routers?: TargetRouter[];
  /** Inter-router links with costs; multi-router checks need them. */
  links?: TargetLink[];
  /** Address prefixes configured with each distribution (defaults: the names themselves). */
  prefixes?: Partial<Record<"closest" | "multicast" | "balanced", string>>;
  /** A listener whose connections have a maxMessageSize (policy vhost). */
  maxMessageSize?: { url: string; limit: number };
}

export interface Target {
  kind: "emulator" | "processes" | "external";
  flavour: RouterFlavour;
  routers: TargetRouter[];
  links: TargetLink[];
  prefixes: Record<"closest" | "multicast" | "balanced", string>;
  maxMessageSize: { url: string; limit: number } | undefined;
  /** The routers the suite started (emulator or processes): stop/start them. */
  mesh: TargetMesh | undefined;
  /** The emulator behind them, for what only it can do (cut a link, inspect itself). */
  emulator: LocalMesh | undefined;
}

export const TARGET_FILE = process.env.MESH_TARGET;

const REAL_ENGINES = ENGINES.filter((e) => e !== "emulator").join(" | ");

function readTargetFile(path: string): TargetFile {
  const parsed = JSON.parse(readFileSync(path, "utf8")) as TargetFile;
  if (parsed.engine !== undefined) {
    if (!REAL_ENGINES.split(" | ").includes(parsed.engine))
      throw new Error(`MESH_TARGET ${path}: "engine" must be one of ${REAL_ENGINES}`);
    return parsed;
  }
  if (!Array.isArray(parsed.routers) || parsed.routers.length === 0) {
    throw new Error(
      `MESH_TARGET ${path}: give "engine" (${REAL_ENGINES}) or "routers" (at least one)`,
    );
  }
  return parsed;
}

const file = TARGET_FILE ? readTargetFile(TARGET_FILE) : undefined;

/** What starts the suite's own routers: the emulator, or a real router binary. */
export const engine: MeshEngine | undefined = file === undefined ? "emulator" : file.engine;

/** True when checks run against the emulator. */
export const onEmulator = engine === "emulator";

/** True when the suite starts its routers itself, with any config a check needs. */
export const startsRouters = engine !== undefined;

/** Why checks of the emulator's own workings are skipped elsewhere. */
export const NEEDS_EMULATOR = "checks the emulator itself (emulator only)";

/** Why checks that need routers started with their own config skip on running routers. */
export const NEEDS_OWN_ROUTERS =
  "needs routers the suite starts with its own config (emulator or MESH_TARGET engine)";

/** Why checks that cut a link between running routers skip on real ones. */
export const NEEDS_LINK_CUT = "cuts an inter-router link of running routers (emulator only)";

/** The flavour checks are written for: the engine's, or the running routers'. */
export const targetFlavour: RouterFlavour =
  file?.engine !== undefined
    ? engineFlavour(file.engine)
    : (file?.routers?.[0]?.flavour ?? "qpid-dispatch");

/**
 * Starts routers for one check's own spec on the target's engine (emulator or real
 * processes); stop them with closeTarget() or stopTargetMeshes().
 */
export function startOwnRouters(spec: TestMeshSpec): Promise<TargetMesh> {
  if (engine === undefined)
    throw new Error(`${NEEDS_OWN_ROUTERS}: MESH_TARGET names running routers`);
  return startTargetMesh({ flavour: targetFlavour, ...spec }, engine);
}

/** A vhost every client of the listener falls into, allowing all. */
function permissiveVhost(hostname: string, extra: Record<string, unknown> = {}): RouterEntity {
  return {
    type: "vhost",
    attributes: {
      hostname,
      allowUnknownUser: true,
      ...extra,
      groups: {
        $default: {
          remoteHosts: "*",
          sources: "*",
          targets: "*",
          allowDynamicSource: true,
          allowAnonymousSender: true,
          allowUserIdProxy: true,
        },
      },
    },
  };
}

/**
 * The suite's topology: interiors a—b—c (+ a costly a—c), two edges. Router a has a second
 * listener, `limited`, whose connections fall into a vhost with maxMessageSize 4096, as a
 * real router limits message sizes (a listener has no such attribute; qdrouter.json).
 */
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
          saslMechanisms: "ANONYMOUS",
          authenticatePeer: false,
          policyVhost: "limited",
        },
      },
      { type: "policy", attributes: { enableVhostPolicy: true, defaultVhost: "$default" } },
      permissiveVhost("$default"),
      permissiveVhost("limited", { maxMessageSize: 4096 }),
    ],
  },
};

/** Interior routers of a target with a known line topology, for multi-router checks. */
export function hasMultipleInteriors(): boolean {
  if (startsRouters) return true;
  const interiors = file!.routers!.filter((r) => r.mode === "interior");
  return interiors.length >= 2 && (file!.links?.length ?? 0) > 0;
}

/** Whether the target has edge routers (known at collection time). */
export function hasEdgeRouters(): boolean {
  return startsRouters || file!.routers!.some((r) => r.mode === "edge");
}

const PREFIXES = { closest: "closest", multicast: "multicast", balanced: "balanced" };

export async function openTarget(): Promise<Target> {
  if (file?.routers !== undefined && engine === undefined) {
    return {
      kind: "external",
      flavour: targetFlavour,
      routers: file.routers,
      links: file.links ?? [],
      prefixes: { ...PREFIXES, ...file.prefixes },
      maxMessageSize: file.maxMessageSize,
      mesh: undefined,
      emulator: undefined,
    };
  }
  const mesh = await startOwnRouters(EMULATOR_MESH);
  return {
    kind: onEmulator ? "emulator" : "processes",
    flavour: mesh.flavour,
    routers: mesh.routers.map((r) => ({
      id: r.id,
      url: r.url,
      mode: r.mode,
      flavour: mesh.flavour,
    })),
    links: (EMULATOR_MESH.links ?? []).map(([from, to, cost]) => ({ from, to, cost: cost ?? 1 })),
    prefixes: PREFIXES,
    maxMessageSize: { url: mesh.listenerUrl("a", "limited"), limit: 4096 },
    mesh,
    emulator: mesh.emulator,
  };
}

export async function closeTarget(): Promise<void> {
  await stopTargetMeshes();
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
  if (target.emulator) {
    await target.emulator.waitForAddress(address, { router: routerId, consumers });
    return;
  }
  await waitFor(
    async () => {
      const row = await addressRow(target, routerId, address);
      if (consumers === 0) return !row || row.subscriberCount + row.remoteCount === 0;
      if (!row) return false;
      return (row.subscriberCount > 0 ? 1 : 0) + row.remoteCount >= routersWithConsumers;
    },
    {
      timeout: 10_000,
      interval: 50,
      what: `${consumers} consumer(s) of ${address} known at ${routerId}`,
    },
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
  if (target.emulator) {
    for (const id of Object.keys(placement)) {
      await target.emulator.waitForAddress(address, { router: id, consumers: total });
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
    { timeout: 10_000, interval: 50, what: `the consumers of ${address} known across the mesh` },
  );
}
