/**
 * A router's actual state as management shows it: who it is (id, mode, uptime) and every
 * entity of the types config-sync keeps, by QUERY (paged, all attributes).
 */
import type { ManagedEntity, ManagementClient } from "../management/index.ts";
import { ManagementBadRequestError, ManagementProtocolError } from "../management/index.ts";
import {
  FLAVOUR_FACTS,
  type RouterEntityType,
  type RouterFlavour,
} from "../router-vocabulary/index.ts";

export interface RouterIdentity {
  routerId: string;
  mode: "interior" | "edge";
  flavour: RouterFlavour;
  uptimeSeconds: number;
  version: string | undefined;
  /** The router entity, every attribute. */
  entity: ManagedEntity;
}

/** The types config-sync reads and plans, of those the flavour has. */
const SYNCED_TYPES: readonly RouterEntityType[] = [
  "router",
  "policy",
  "sslProfile",
  "listener",
  "connector",
  "vhost",
  "address",
  "linkRoute",
  "autoLink",
];

export function syncedTypes(flavour: RouterFlavour): RouterEntityType[] {
  return SYNCED_TYPES.filter((type) => FLAVOUR_FACTS[flavour].entityTypes.has(type));
}

export interface ActualState {
  identity: RouterIdentity;
  /** Every entity of each synced type. */
  entities: Map<RouterEntityType, ManagedEntity[]>;
  /** Types the router does not know (so nothing of them is compared), each with why. */
  unread: { type: RouterEntityType; reason: string }[];
}

function numberOf(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/**
 * Id, mode and uptime. qdrouterd 1.19 has `uptimeSeconds` on its router entity;
 * skupper-router 3.5 moved it (with the counters) to `routerMetrics`.
 */
export async function readRouterIdentity(management: ManagementClient): Promise<RouterIdentity> {
  const skupper = management.flavour === "skupper-router";
  const [router] = await management.query("router");
  const info = { operation: "QUERY", entityType: "router", router: management.router };
  const id = router?.attributes.id;
  const mode = router?.attributes.mode;
  if (router === undefined || typeof id !== "string" || (mode !== "interior" && mode !== "edge"))
    throw new ManagementProtocolError(
      info,
      "the router entity has no id or mode",
      "is this a router's $management?",
    );
  let uptime = numberOf(router?.attributes.uptimeSeconds);
  let version = router?.attributes.version;
  if (skupper) {
    const [metrics] = await management.query("routerMetrics", {
      attributeNames: ["uptimeSeconds", "version"],
    });
    uptime = numberOf(metrics?.attributes.uptimeSeconds);
    version = metrics?.attributes.version;
  }
  if (uptime === undefined)
    throw new ManagementProtocolError(
      info,
      "the router reports no uptime",
      "manage qdrouterd 1.19 or skupper-router 3.5",
    );
  return {
    routerId: id,
    mode,
    flavour: management.flavour,
    uptimeSeconds: uptime,
    version: typeof version === "string" ? version : undefined,
    entity: router,
  };
}

/**
 * Every entity of the synced types, one paged QUERY per type (the router entity is the
 * identity's). The policy singleton is only compared, never changed: a router that does not
 * know the type is noted, not failed.
 */
export async function readActualState(
  management: ManagementClient,
  identity: RouterIdentity,
): Promise<ActualState> {
  const entities = new Map<RouterEntityType, ManagedEntity[]>([["router", [identity.entity]]]);
  const unread: ActualState["unread"] = [];
  // The types are independent: their QUERYs go out together on the one connection.
  const types = syncedTypes(management.flavour).filter((t) => t !== "router");
  const answers = await Promise.allSettled(types.map((type) => management.query(type)));
  for (const [i, answer] of answers.entries()) {
    const type = types[i]!;
    if (answer.status === "fulfilled") {
      entities.set(type, answer.value);
      continue;
    }
    const error: unknown = answer.reason;
    if (type !== "policy" || !(error instanceof ManagementBadRequestError)) throw error;
    unread.push({ type, reason: error.statusDescription });
  }
  return { identity, entities, unread };
}
