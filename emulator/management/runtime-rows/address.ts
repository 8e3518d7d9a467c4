/** `router.address` rows: every address the router knows, named by its hash key. */
import type { Attributes } from "../../entities/schema.ts";
import { addressOfKey } from "../../routing/address-table.ts";
import { managementAddress } from "../../routing/router-addresses.ts";
import { addressHashKey, type RuntimeView } from "./view.ts";

export function addressRows(view: RuntimeView): Attributes[] {
  const type = view.agent.qualified("router.address");
  const rows = new Map<string, Attributes>();
  const counted = view.routing.routeContainerCounts(view.id);
  for (const key of new Set([...view.routing.allAddresses(), ...counted.keys()])) {
    const hashKey = addressHashKey(view, key);
    const destinations = view.routing.destinations(key);
    const local = destinations.filter((d) => d.routerId === view.id).length;
    const remote = new Set(
      destinations.filter((d) => d.routerId !== view.id).map((d) => d.routerId),
    );
    const row = rows.get(hashKey);
    const counts = view.routing.deliveryCounts(view.id, key);
    if (row) {
      row.subscriberCount = Number(row.subscriberCount) + local;
      row.remoteCount = Math.max(Number(row.remoteCount), remote.size);
      row.deliveriesIngress = Number(row.deliveriesIngress) + counts.ingress;
      row.deliveriesEgress = Number(row.deliveriesEgress) + counts.egress;
      continue;
    }
    const management = key === managementAddress(view.id);
    const mobile = hashKey.startsWith("M");
    rows.set(hashKey, {
      name: hashKey,
      identity: hashKey,
      type,
      key: hashKey,
      distribution: mobile
        ? view.addresses.lookup(addressOfKey(key)).distribution
        : hashKey.startsWith("R") || management
          ? "closest"
          : "balanced",
      inProcess: management ? 1 : 0,
      subscriberCount: management ? 0 : local,
      remoteCount: remote.size,
      containerCount: 0,
      remoteHostRouters: [],
      deliveriesIngress: counts.ingress,
      deliveriesEgress: counts.egress,
      deliveriesTransit: 0,
      deliveriesToContainer: 0,
      deliveriesFromContainer: 0,
      deliveriesIngressRouteContainer: counted.get(key)?.ingress ?? 0,
      deliveriesEgressRouteContainer: counted.get(key)?.egress ?? 0,
      deliveriesIngressInterNetwork: 0,
      deliveriesEgressInterNetwork: 0,
      transitOutstanding: null,
      trackedDeliveries: view.routing.queuedCount(key),
      priority: -1,
      deliveriesRedirectedToFallback: 0,
      watch: false,
    });
  }
  return [...rows.values()];
}
