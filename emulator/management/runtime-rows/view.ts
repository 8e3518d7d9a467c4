/**
 * What every runtime row is read from (RuntimeView: the router's own state, seen by
 * management) and the helpers several rows share: hash keys, link identities, totals.
 */
import type { RouterFlavour } from "../../../shared/router-vocabulary/index.ts";
import type { EntityStore } from "../../entities/entity-store.ts";
import type { Attributes } from "../../entities/schema.ts";
import type { PolicyCounters } from "../../policy/policy-counters.ts";
import type { ClientConnection } from "../../protocol/client-connection.ts";
import type { RoutingCore } from "../../routing/routing-core.ts";

/** Versions the emulated routers report (the releases the emulator follows). */
export const ROUTER_VERSION: Record<RouterFlavour, string> = {
  "qpid-dispatch": "1.19.0",
  "skupper-router": "3.5.1",
};

/** What the rows are read from. */
export interface RuntimeView {
  readonly id: string;
  readonly mode: "interior" | "edge";
  readonly flavour: RouterFlavour;
  /** When the router (last) started, ms since the epoch. */
  readonly startedAt: number;
  readonly routing: RoutingCore;
  readonly connections: ClientConnection[];
  /** The listener role a connection came in on, and when it opened (ms). */
  connectionInfo(connection: ClientConnection): { role: string; openedAt: number };
  /** The config file's `router` section. */
  readonly routerAttributes: Readonly<Record<string, unknown>>;
  readonly store: EntityStore;
  readonly agent: { qualified(type: string): string };
  readonly addresses: { lookup(address: string): { distribution: string } };
  readonly brokers: { connectionRows(type: string): Attributes[] };
  /** The config file's `policy` section (none: the router's defaults). */
  readonly policyAttributes: Readonly<Record<string, unknown>>;
  readonly policyCounters: PolicyCounters;
  /** Sockets accepted and still open, all listeners (policy.c n_connections). */
  readonly connectionsCurrent: number;
}

export const seconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * qdrouterd names router.address entries by their hash key: `M<phase><address>` for mobile
 * addresses (skupper-router, without phases: `M<address>`), `L<name>` for this router's
 * local ones (`L$management`, temp.*), `R<router>` for another interior, `H<router>` for an
 * edge router.
 */
export function addressHashKey(view: RuntimeView, key: string): string {
  const mobile = (phase: string, address: string): string =>
    view.flavour === "skupper-router" ? `M${address}` : `M${phase}${address}`;
  const phased = /^M([01]):(.*)$/.exec(key);
  if (phased) return mobile(phased[1]!, phased[2]!);
  const topo = /^_topo\/0\/([^/]+)\/(.*)$/.exec(key);
  if (!topo) return mobile("0", key);
  if (topo[1] === view.id) return `L${topo[2]}`;
  return view.routing.graph.nodes.get(topo[1]!)?.mode === "edge" ? `H${topo[1]}` : `R${topo[1]}`;
}

/** Management-visible numbers for objects that have none of their own (links). */
const linkIdentities = new WeakMap<object, string>();
let nextLinkIdentity = 1;
export function linkIdentity(link: object): string {
  let identity = linkIdentities.get(link);
  if (identity === undefined) {
    identity = String(nextLinkIdentity++);
    linkIdentities.set(link, identity);
  }
  return identity;
}

export interface Totals {
  links: number;
  ingress: number;
  egress: number;
  unsettled: number;
}

export function totals(view: RuntimeView): Totals {
  const result = { links: 0, ingress: 0, egress: 0, unsettled: 0 };
  for (const c of view.connections) {
    result.links += c.consumers.size + c.producers.size;
    for (const consumer of c.consumers) {
      result.egress += consumer.delivered;
      result.unsettled += consumer.unsettled;
    }
    for (const producer of c.producers) result.ingress += producer.received;
  }
  return result;
}
