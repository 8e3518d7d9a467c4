/**
 * The runtime entity types a router answers QUERY/READ for (router, connection,
 * router.link, router.address, router.node, management), as attribute maps with
 * qdrouterd's attribute names.
 */

import type { ClientConnection } from "../protocol/client-connection.ts";
import { addressOfKey } from "../routing/address-table.ts";
import { DEFAULT_LINK_CAPACITY } from "../routing/producer-link.ts";
import type { RoutingCore } from "../routing/routing-core.ts";
import type { Attributes, RuntimeEntityType } from "./schema.ts";

/** What the rows are read from. */
export interface RuntimeView {
  readonly id: string;
  readonly mode: "interior" | "edge";
  readonly routing: RoutingCore;
  readonly connections: ClientConnection[];
  readonly agent: { qualified(type: string): string };
  readonly addresses: { lookup(address: string): { distribution: string } };
  readonly brokers: { connectionRows(type: string): Attributes[] };
}

/**
 * qdrouterd names router.address entries by their hash key: `M<phase><address>` for
 * mobile addresses, `L<name>` for this router's local ones (`L$management`, temp.*),
 * `R<router>` for another router's.
 */
function addressHashKey(routerId: string, key: string): string {
  const phased = /^M([01]):(.*)$/.exec(key);
  if (phased) return `M${phased[1]}${phased[2]}`;
  const topo = /^_topo\/0\/([^/]+)\/(.*)$/.exec(key);
  if (topo) return topo[1] === routerId ? `L${topo[2]}` : `R${topo[1]}`;
  return `M0${key}`;
}

export function runtimeRows(router: RuntimeView, type: RuntimeEntityType): Attributes[] {
  const q = (t: string): string => router.agent.qualified(t);
  switch (type) {
    case "management":
      return [{ name: "self", identity: "self", type: "org.amqp.management" }];
    case "router": {
      const links = router.connections.reduce((n, c) => n + c.consumers.size + c.producers.size, 0);
      return [
        {
          name: `router/${router.id}`,
          identity: `router/${router.id}`,
          type: q("router"),
          id: router.id,
          mode: router.mode,
          area: "0",
          version: "1.19.0",
          addrCount: router.routing.allAddresses().length,
          linkCount: links,
          nodeCount: router.routing.graph.distancesFrom(router.id).size - 1,
          connectionCount: router.connections.length,
        },
      ];
    }
    case "connection":
      return [
        ...router.connections.map((c) => ({
          name: `connection/${c.identity}`,
          identity: c.identity,
          type: q("connection"),
          host: String(c.connection.socket?.remoteAddress ?? ""),
          role: "normal",
          dir: "in",
          container: c.remoteContainer ?? null,
          isAuthenticated: c.user !== undefined,
          user: c.user ?? "anonymous",
          isEncrypted: c.encrypted,
          opened: true,
          operStatus: "up",
        })),
        ...router.brokers.connectionRows(q("connection")),
      ];
    case "router.link": {
      const rows: Attributes[] = [];
      for (const c of router.connections) {
        for (const consumer of c.consumers) {
          rows.push({
            name: consumer.sender.name,
            identity: `${c.identity}/${consumer.id}`,
            type: q("router.link"),
            linkType: "endpoint",
            linkDir: "out",
            owningAddr: consumer.address,
            capacity: DEFAULT_LINK_CAPACITY,
            unsettledCount: consumer.unsettled,
            undeliveredCount: consumer.outstanding - consumer.unsettled,
            deliveryCount: consumer.delivered,
            connectionId: c.identity,
            operStatus: "up",
            adminStatus: "enabled",
          });
        }
        for (const producer of c.producers) {
          rows.push({
            name: producer.receiver.name,
            identity: `${c.identity}/p${producer.receiver.name}`,
            type: q("router.link"),
            linkType: "endpoint",
            linkDir: "in",
            owningAddr: producer.address ?? null,
            unsettledCount: producer.outstanding,
            deliveryCount: producer.received,
            connectionId: c.identity,
            operStatus: "up",
            adminStatus: "enabled",
          });
        }
      }
      return rows;
    }
    case "router.address": {
      return router.routing.allAddresses().map((key) => {
        const destinations = router.routing.destinations(key);
        const local = destinations.filter((d) => d.routerId === router.id).length;
        const remoteRouters = new Set(
          destinations.filter((d) => d.routerId !== router.id).map((d) => d.routerId),
        );
        const hashKey = addressHashKey(router.id, key);
        return {
          name: hashKey,
          identity: hashKey,
          key: hashKey,
          type: q("router.address"),
          distribution: router.addresses.lookup(addressOfKey(key)).distribution,
          subscriberCount: local,
          remoteCount: remoteRouters.size,
          undelivered: router.routing.queuedCount(key),
        };
      });
    }
    case "router.node": {
      const distances = router.routing.graph.distancesFrom(router.id);
      return [...distances.entries()]
        .filter(([id]) => router.routing.graph.nodes.get(id)?.mode === "interior")
        .map(([id, cost]) => ({
          name: `router.node/${id}`,
          identity: `router.node/${id}`,
          type: q("router.node"),
          id,
          address: `amqp:/_topo/0/${id}`,
          cost,
          nextHop: id === router.id ? "(self)" : null,
        }));
    }
  }
}
