/**
 * Starting the emulator in tests: small topologies and router configs in a line, reserved
 * ports, and cleanup.
 *
 *   const mesh = await startTestMesh({
 *     routers: [{ id: "a" }, { id: "b" }, { id: "e", mode: "edge", uplinks: ["a"] }],
 *     links: [["a", "b", 5]],
 *     entities: { a: [address("closest", "closest")] },   // extra config entities per router
 *   });
 *   const client = await connectClient(mesh.router("a").url);
 *   ...
 *   await stopAllMeshes();                                 // in afterAll/afterEach
 *
 * Each router gets a client listener `clients` (ANONYMOUS and PLAIN, no authentication
 * required), plus the entities given for it (or for "*": all routers); every listener with
 * port "0" gets a port reserved for the mesh (free-port.ts).
 */
import {
  type LocalMesh,
  localTopology,
  type StartLocalMeshOptions,
  startLocalMesh,
} from "../../emulator/index.ts";
import type { RouterConfig, RouterEntity } from "../../shared/router-config/index.ts";
import type { RouterFlavour, Topology } from "../../shared/topology/index.ts";
import { releasePorts, reservePort } from "./free-port.ts";

export interface TestRouterSpec {
  id: string;
  mode?: "interior" | "edge";
  uplinks?: string[];
}

export interface TestMeshSpec {
  flavour?: RouterFlavour;
  routers: TestRouterSpec[];
  /** [from, to, cost] */
  links?: Array<[string, string, number?]>;
  /** Extra config entities per router id; "*" applies to every router. */
  entities?: Record<string, RouterEntity[]>;
  /** Attributes merged into every router's client listener. */
  listener?: Record<string, string | number | boolean>;
  /** Attributes merged into every router's `router` entity (e.g. defaultDistribution). */
  router?: Record<string, string | number | boolean>;
  users?: StartLocalMeshOptions["users"];
}

export function meshTopology(spec: TestMeshSpec): Topology {
  return localTopology(
    spec.flavour ?? "qpid-dispatch",
    spec.routers.map((r) => ({ id: r.id, mode: r.mode ?? "interior", uplinks: r.uplinks ?? [] })),
    (spec.links ?? []).map(([from, to, cost]) => ({ from, to, cost: cost ?? 1 })),
  );
}

export function testRouterConfig(spec: TestMeshSpec, router: TestRouterSpec): RouterConfig {
  const mode = router.mode ?? "interior";
  return {
    routerId: router.id,
    mode,
    flavour: spec.flavour ?? "qpid-dispatch",
    entities: [
      { type: "router", attributes: { id: router.id, mode, ...(spec.router ?? {}) } },
      {
        type: "listener",
        attributes: {
          name: "clients",
          host: "127.0.0.1",
          port: "0",
          role: "normal",
          saslMechanisms: "ANONYMOUS PLAIN",
          authenticatePeer: false,
          ...(spec.listener ?? {}),
        },
      },
      ...(spec.entities?.["*"] ?? []),
      ...(spec.entities?.[router.id] ?? []),
    ],
  };
}

const running = new Set<LocalMesh>();

/** Listener roles the emulator binds a TCP port for (inter-router and edge are in-process). */
const BOUND_ROLES = new Set(["normal", "route-container"]);

/**
 * Starts the emulator for `spec`, every listener on a port reserved for it until it stops
 * (a router stopped and started again binds the same port: nothing else may take it
 * meanwhile); stop it with mesh.stop() or stopAllMeshes().
 */
export async function startTestMesh(spec: TestMeshSpec): Promise<LocalMesh> {
  const configs = spec.routers.map((r) => testRouterConfig(spec, r));
  const reserved: number[] = [];
  let mesh: LocalMesh;
  try {
    for (const config of configs)
      for (const entity of config.entities)
        if (
          entity.type === "listener" &&
          Number(entity.attributes.port) === 0 &&
          BOUND_ROLES.has(String(entity.attributes.role ?? "normal"))
        ) {
          const port = await reservePort();
          reserved.push(port);
          entity.attributes.port = String(port);
        }
    mesh = await startLocalMesh({
      topology: meshTopology(spec),
      configs,
      ports: "topology",
      ...(spec.users !== undefined ? { users: spec.users } : {}),
    });
  } catch (error) {
    await releasePorts(reserved);
    throw error;
  }
  const stop = mesh.stop.bind(mesh);
  mesh.stop = async () => {
    await stop();
    running.delete(mesh);
    await releasePorts(reserved);
  };
  running.add(mesh);
  return mesh;
}

export async function stopAllMeshes(): Promise<void> {
  for (const mesh of [...running]) await mesh.stop();
  running.clear();
}

/** Config entity helpers. */
export function address(
  prefix: string,
  distribution: string,
  extra: Record<string, string | boolean> = {},
): RouterEntity {
  return { type: "address", attributes: { prefix, distribution, ...extra } };
}
