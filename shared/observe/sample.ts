/**
 * One reading of a router's live state over AMQP management: who it is (router /
 * routerMetrics), the interiors it knows (router.node), its connections, its endpoint links
 * and its addresses with their counters (router.link, router.address), and its policy's
 * denial counters. Plain values, no management types: what the mesh view is built from.
 */
import type { ManagedEntity, ManagementClient } from "../management/index.ts";
import { readRouterIdentity } from "../sync/index.ts";
import type { RouterFlavour } from "../topology/index.ts";

export interface NodeRow {
  /** An interior this router knows (itself included, with no cost). */
  id: string;
  cost: number | undefined;
  /** A direct inter-router neighbour (its routerLink is set). */
  neighbour: boolean;
}

export interface ConnectionRow {
  identity: string | undefined;
  role: string;
  dir: string;
  container: string | undefined;
  user: string | undefined;
  host: string | undefined;
}

export interface LinkRow {
  identity: string;
  dir: "in" | "out";
  /** The connection it is on (connection identity). */
  connectionId: string | undefined;
  /** The channel address the link is on (the address table's key, prefix stripped). */
  address: string | undefined;
  deliveries: number;
  released: number;
  rejected: number;
  modified: number;
}

export interface AddressRow {
  /** The mobile address (no `M0`/`M` hash prefix); local and router addresses are left out. */
  address: string;
  subscribers: number;
  remotes: number;
  ingress: number;
  egress: number;
}

export interface RouterSample {
  routerId: string;
  mode: "interior" | "edge";
  flavour: RouterFlavour;
  version: string | undefined;
  uptimeSeconds: number;
  seenAt: number;
  nodes: NodeRow[];
  connections: ConnectionRow[];
  links: LinkRow[];
  addresses: AddressRow[];
  /** The policy's denials so far (links and connections), when the router shows its policy. */
  denials: { links: number; connections: number } | undefined;
}

const num = (value: unknown): number => {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return 0;
};
const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

/**
 * The mobile address of a router.address key or a link's owningAddr: `M0sales/orders`
 * (qdrouterd, phase 0), `M1…` (phase 1), `Msales/orders` (skupper-router). Local (`L`),
 * router (`R`, `H`, `T`) and other keys are no channel: undefined.
 */
export function mobileAddress(key: unknown, flavour: RouterFlavour): string | undefined {
  if (typeof key !== "string" || !key.startsWith("M")) return undefined;
  if (flavour === "qpid-dispatch" && /^M[0-9]/.test(key)) return key.slice(2) || undefined;
  return key.slice(1) || undefined;
}

const LINK_ATTRIBUTES = [
  "linkType",
  "linkDir",
  "owningAddr",
  "connectionId",
  "deliveryCount",
  "releasedCount",
  "rejectedCount",
  "modifiedCount",
];
const ADDRESS_ATTRIBUTES = [
  "key",
  "subscriberCount",
  "remoteCount",
  "deliveriesIngress",
  "deliveriesEgress",
];
const CONNECTION_ATTRIBUTES = ["identity", "role", "dir", "container", "user", "host"];
const NODE_ATTRIBUTES = ["id", "cost", "routerLink", "nextHop"];

function linkRow(entity: ManagedEntity, flavour: RouterFlavour): LinkRow | undefined {
  const a = entity.attributes;
  if (a.linkType !== "endpoint" || (a.linkDir !== "in" && a.linkDir !== "out")) return undefined;
  return {
    identity: entity.identity ?? "",
    dir: a.linkDir,
    connectionId:
      a.connectionId === null || a.connectionId === undefined ? undefined : String(a.connectionId),
    address: mobileAddress(a.owningAddr, flavour),
    deliveries: num(a.deliveryCount),
    released: num(a.releasedCount),
    rejected: num(a.rejectedCount),
    modified: num(a.modifiedCount),
  };
}

/** Reads the router once: a few QUERYs on one management connection, sent together. */
export async function readRouterSample(
  management: ManagementClient,
  now: () => number = Date.now,
): Promise<RouterSample> {
  const identity = await readRouterIdentity(management);
  const flavour = management.flavour;
  const [nodes, connections, links, addresses, policy] = await Promise.all([
    identity.mode === "interior"
      ? management.query("router.node", { attributeNames: NODE_ATTRIBUTES })
      : Promise.resolve([]),
    management.query("connection", { attributeNames: CONNECTION_ATTRIBUTES }),
    management.query("router.link", { attributeNames: LINK_ATTRIBUTES }),
    management.query("router.address", { attributeNames: ADDRESS_ATTRIBUTES }),
    management.query("policy").catch(() => [] as ManagedEntity[]),
  ]);
  const policyRow = policy[0]?.attributes;
  let version = identity.version;
  if (version === undefined && flavour === "skupper-router") {
    // skupper-router 3.5.1 answers routerMetrics' version as null and puts it in a last
    // column named "" (seen with skmanage), which only a QUERY of every attribute returns.
    const [metrics] = await management.query("routerMetrics").catch(() => []);
    version = text(metrics?.attributes[""]);
  }
  return {
    routerId: identity.routerId,
    mode: identity.mode,
    flavour,
    version,
    uptimeSeconds: identity.uptimeSeconds,
    seenAt: now(),
    nodes: nodes.flatMap((n) => {
      const id = text(n.attributes.id);
      if (id === undefined) return [];
      const cost = n.attributes.cost;
      return [
        {
          id,
          cost: typeof cost === "number" ? cost : undefined,
          neighbour: n.attributes.routerLink !== null && n.attributes.routerLink !== undefined,
        },
      ];
    }),
    connections: connections.map((c) => ({
      identity: c.identity,
      role: text(c.attributes.role) ?? "normal",
      dir: text(c.attributes.dir) ?? "in",
      container: text(c.attributes.container),
      user: text(c.attributes.user),
      host: text(c.attributes.host),
    })),
    links: links.flatMap((l) => linkRow(l, flavour) ?? []),
    addresses: addresses.flatMap((row) => {
      const address = mobileAddress(row.attributes.key ?? row.name, flavour);
      if (address === undefined) return [];
      return [
        {
          address,
          subscribers: num(row.attributes.subscriberCount),
          remotes: num(row.attributes.remoteCount),
          ingress: num(row.attributes.deliveriesIngress),
          egress: num(row.attributes.deliveriesEgress),
        },
      ];
    }),
    denials:
      policyRow === undefined
        ? undefined
        : { links: num(policyRow.linksDenied), connections: num(policyRow.connectionsDenied) },
  };
}
