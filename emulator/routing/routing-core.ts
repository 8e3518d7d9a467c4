/**
 * The forwarding core shared by every emulated router of one mesh: which destinations an
 * address has, how a delivery entering at one router reaches them (distribution over
 * lowest-cost paths), and what waits for a destination's credit. A delivery to an address
 * with no path at all is released, and a targeted producer's credit is drained, as
 * qdrouterd 1.19 does (src/router_core/transfer.c, qdr_link_forward_CT: "no outbound paths
 * AND the incoming link is targeted … release the delivery … drain instead"; seen on a
 * real qdrouterd 1.19.0: a targeted producer whose consumer left gets `released`). Routers are linked
 * in-process: a delivery "crossing" an inter-router link is a function call, and an
 * unreachable router (stopped, or behind a cut link) is simply absent from the paths.
 */

import { type Outcome, outcomes } from "../protocol/rhea-internals.ts";
import type { AddressSemantics } from "./address-table.ts";
import type { MeshGraph } from "./paths.ts";

/** A message travelling through the mesh. `complete` is called exactly once. */
export interface RoutedDelivery {
  readonly payload: Buffer;
  readonly presettled: boolean;
  readonly address: string;
  /** Router the delivery entered the mesh at. */
  readonly ingress: string;
  /**
   * The producer link it came from when that link targets the address: its credit is
   * drained when the address has no path (anonymous links keep theirs).
   */
  readonly producer?: CreditedProducer;
  complete(outcome: Outcome): void;
}

/** Something that consumes from an address: a client receiver, a broker autoLink, a node. */
export interface Destination {
  readonly id: number;
  readonly routerId: string;
  readonly address: string;
  /** Deliveries handed over and not yet settled. */
  readonly outstanding: number;
  /** True when it can take one more delivery now. */
  hasCredit(): boolean;
  /** Anycast calls this only with credit; multicast may exceed it (the destination queues). */
  deliver(delivery: RoutedDelivery): void;
}

/** A producer link whose credit depends on whether its address is reachable. */
export interface CreditedProducer {
  readonly routerId: string;
  /** undefined for anonymous producers (per-message `to`). */
  readonly address: string | undefined;
  refreshCredit(): void;
  /** A delivery of this link found no path: take the link's credit back (drain). */
  noPath(): void;
}

interface Queued {
  delivery: RoutedDelivery;
  semantics: AddressSemantics;
}

interface Candidate {
  destination: Destination;
  distance: number;
}

/** A router's link routes, as the RoutingCore asks about them when a client attaches. */
export interface LinkRouteLookup<T> {
  /** Whether the router's config link-routes the address (connection or not). */
  configured(address: string, direction: "in" | "out"): boolean;
  /** The route's far end when this router holds the route's connection and it is up. */
  active(address: string, direction: "in" | "out"): T | undefined;
}

/** A link-routed attach: where it goes, or `undefined` when no router can take it now. */
export interface LinkRouteChoice<T> {
  handler: T | undefined;
}

let nextDestinationId = 1;
export function newDestinationId(): number {
  return nextDestinationId++;
}

/** A router's deliveries of one address to and from route containers (router.address). */
export interface RouteContainerCounts {
  /** From a route container into the address (`deliveriesIngressRouteContainer`). */
  ingress: number;
  /** From the address to a route container (`deliveriesEgressRouteContainer`). */
  egress: number;
}

export class RoutingCore {
  readonly #destinations = new Map<string, Set<Destination>>();
  /** Per router, per address key: what its broker links carried (kept across restarts, as counted). */
  readonly #routeContainerCounts = new Map<string, Map<string, RouteContainerCounts>>();
  readonly #queues = new Map<string, Queued[]>();
  readonly #producers = new Set<CreditedProducer>();
  readonly #roundRobin = new Map<string, number>();
  readonly #linkRoutes = new Map<string, LinkRouteLookup<unknown>>();
  /** Deliveries in from producers and out to consumers, per router and address (router.address). */
  readonly #counts = new Map<string, { ingress: number; egress: number }>();

  readonly graph: MeshGraph;
  constructor(graph: MeshGraph) {
    this.graph = graph;
  }

  setLinkRoutes(routerId: string, lookup: LinkRouteLookup<unknown> | undefined): void {
    if (lookup) this.#linkRoutes.set(routerId, lookup);
    else this.#linkRoutes.delete(routerId);
  }

  /**
   * Whether an attach on `from` is link-routed and, if so, where to. Like qdrouterd: the
   * attach is link-routed when the ingress router's own link-route table has the pattern —
   * an edge router asks its interior instead (the address lookup server,
   * src/router_core/modules/address_lookup_server) — and it goes to the nearest running
   * router whose matching linkRoute has its container connection up (the link-route
   * address is propagated through the mesh from there). `undefined`: message-routed.
   */
  findLinkRoute<T>(
    from: string,
    address: string,
    direction: "in" | "out",
  ): LinkRouteChoice<T> | undefined {
    const here = this.#linkRoutes.get(from);
    const uplink = this.graph.activeUplink(from);
    const asked = uplink !== undefined ? this.#linkRoutes.get(uplink) : undefined;
    const routed =
      here?.configured(address, direction) === true ||
      asked?.configured(address, direction) === true;
    if (!routed) return undefined;
    const distances = this.graph.distancesFrom(from);
    let best: { handler: unknown; distance: number } | undefined;
    for (const [routerId, lookup] of this.#linkRoutes) {
      const distance = distances.get(routerId);
      if (distance === undefined || (best && distance >= best.distance)) continue;
      const handler = lookup.active(address, direction);
      if (handler !== undefined) best = { handler, distance };
    }
    return { handler: best?.handler as T | undefined };
  }

  addDestination(destination: Destination): void {
    let set = this.#destinations.get(destination.address);
    if (!set) {
      set = new Set();
      this.#destinations.set(destination.address, set);
    }
    set.add(destination);
    this.#refreshProducers(destination.address);
    this.destinationReady(destination);
  }

  removeDestination(destination: Destination): void {
    const set = this.#destinations.get(destination.address);
    if (!set) return;
    set.delete(destination);
    if (set.size === 0) this.#destinations.delete(destination.address);
    this.#sweep(destination.address);
    this.#refreshProducers(destination.address);
  }

  /** A delivery crossed a broker link of `routerId` on `address` (an autoLink's key). */
  countRouteContainer(routerId: string, address: string, way: keyof RouteContainerCounts): void {
    let byAddress = this.#routeContainerCounts.get(routerId);
    if (!byAddress) {
      byAddress = new Map();
      this.#routeContainerCounts.set(routerId, byAddress);
    }
    let counts = byAddress.get(address);
    if (!counts) {
      counts = { ingress: 0, egress: 0 };
      byAddress.set(address, counts);
    }
    counts[way]++;
  }

  routeContainerCounts(routerId: string): ReadonlyMap<string, Readonly<RouteContainerCounts>> {
    return this.#routeContainerCounts.get(routerId) ?? new Map();
  }

  destinations(address: string): Destination[] {
    return [...(this.#destinations.get(address) ?? [])];
  }

  /** A delivery entered the mesh at `routerId` (ingress) or left it to a consumer there (egress). */
  countDelivery(routerId: string, address: string, direction: "ingress" | "egress"): void {
    const key = `${routerId}\n${address}`;
    let counts = this.#counts.get(key);
    if (counts === undefined) {
      counts = { ingress: 0, egress: 0 };
      this.#counts.set(key, counts);
    }
    counts[direction]++;
  }

  /** The deliveries counted at `routerId` for `address` since the mesh started. */
  deliveryCounts(routerId: string, address: string): { ingress: number; egress: number } {
    return this.#counts.get(`${routerId}\n${address}`) ?? { ingress: 0, egress: 0 };
  }

  allAddresses(): string[] {
    return [...this.#destinations.keys()];
  }

  registerProducer(producer: CreditedProducer): void {
    this.#producers.add(producer);
  }

  unregisterProducer(producer: CreditedProducer): void {
    this.#producers.delete(producer);
    this.#discardQueued(producer);
  }

  /** A producer link went away: what it still had waiting for credit is released. */
  #discardQueued(producer: CreditedProducer): void {
    for (const [address, queue] of [...this.#queues]) {
      const keep = queue.filter((item) => item.delivery.producer !== producer);
      for (const item of queue) {
        if (item.delivery.producer === producer) item.delivery.complete(outcomes.released());
      }
      if (keep.length > 0) this.#queues.set(address, keep);
      else this.#queues.delete(address);
    }
  }

  /** Destinations of `address` reachable from router `from`, with their path cost. */
  candidates(from: string, address: string): Candidate[] {
    const set = this.#destinations.get(address);
    if (!set) return [];
    const distances = this.graph.distancesFrom(from);
    const result: Candidate[] = [];
    for (const destination of set) {
      const distance = distances.get(destination.routerId);
      if (distance !== undefined) result.push({ destination, distance });
    }
    return result;
  }

  isReachable(from: string, address: string): boolean {
    return this.candidates(from, address).length > 0;
  }

  /** Routers, links or edge uplinks changed: recompute paths, credit and queued deliveries. */
  topologyChanged(): void {
    this.graph.invalidate();
    for (const address of [...this.#queues.keys()]) this.#sweep(address);
    for (const producer of this.#producers) producer.refreshCredit();
    for (const address of [...this.#queues.keys()]) this.#drain(address);
  }

  route(delivery: RoutedDelivery, semantics: AddressSemantics): void {
    const candidates = this.candidates(delivery.ingress, delivery.address);
    if (candidates.length === 0) {
      // No path: released (unsettled) or dropped (presettled); a targeted link is drained.
      delivery.complete(outcomes.released());
      delivery.producer?.noPath();
      return;
    }
    if (semantics.distribution === "multicast") {
      this.#multicast(delivery, candidates);
      return;
    }
    const chosen = this.#pickAnycast(delivery.address, semantics, candidates);
    if (chosen) {
      chosen.deliver(delivery);
      return;
    }
    this.#enqueue(delivery, semantics);
  }

  #enqueue(delivery: RoutedDelivery, semantics: AddressSemantics): void {
    let queue = this.#queues.get(delivery.address);
    if (!queue) {
      queue = [];
      this.#queues.set(delivery.address, queue);
    }
    queue.push({ delivery, semantics });
  }

  /** A destination got credit (or appeared): hand it what waits for its address. */
  destinationReady(destination: Destination): void {
    this.#drain(destination.address);
  }

  queuedCount(address: string): number {
    return this.#queues.get(address)?.length ?? 0;
  }

  #drain(address: string): void {
    const queue = this.#queues.get(address);
    if (!queue) return;
    let i = 0;
    while (i < queue.length) {
      const item = queue[i]!;
      const candidates = this.candidates(item.delivery.ingress, address);
      const chosen = this.#pickAnycast(address, item.semantics, candidates);
      if (chosen) {
        queue.splice(i, 1);
        chosen.deliver(item.delivery);
      } else {
        i++;
      }
    }
    if (queue.length === 0) this.#queues.delete(address);
  }

  /** Releases waiting deliveries that lost every destination. */
  #sweep(address: string): void {
    const queue = this.#queues.get(address);
    if (!queue) return;
    const keep: Queued[] = [];
    for (const item of queue) {
      const reachable = this.isReachable(item.delivery.ingress, address);
      if (reachable) keep.push(item);
      else item.delivery.complete(outcomes.released());
    }
    if (keep.length > 0) this.#queues.set(address, keep);
    else this.#queues.delete(address);
  }

  #pickAnycast(
    address: string,
    semantics: AddressSemantics,
    candidates: Candidate[],
  ): Destination | undefined {
    if (candidates.length === 0) return undefined;
    let pool = candidates;
    if (semantics.distribution === "closest") {
      // Closest: only the nearest destinations qualify; the message waits for them.
      const nearest = Math.min(...candidates.map((c) => c.distance));
      pool = candidates.filter((c) => c.distance === nearest);
    }
    const ready = pool.filter((c) => c.destination.hasCredit());
    if (ready.length === 0) return undefined;
    // Balanced: least (unsettled deliveries + path cost); closest: least unsettled.
    const scoreOf = (c: Candidate): number =>
      semantics.distribution === "balanced"
        ? c.destination.outstanding + c.distance
        : c.destination.outstanding;
    const best = Math.min(...ready.map(scoreOf));
    const tied = ready.filter((c) => scoreOf(c) === best);
    const turn = this.#roundRobin.get(address) ?? 0;
    this.#roundRobin.set(address, turn + 1);
    return tied[turn % tied.length]!.destination;
  }

  #multicast(delivery: RoutedDelivery, candidates: Candidate[]): void {
    if (delivery.presettled) {
      // Presettled multicast: a presettled copy to each destination, nothing comes back.
      for (const c of candidates) c.destination.deliver(delivery);
      return;
    }
    const aggregate = new MulticastOutcome(candidates.length, (o) => delivery.complete(o));
    for (const c of candidates) {
      c.destination.deliver({
        payload: delivery.payload,
        presettled: false,
        address: delivery.address,
        ingress: delivery.ingress,
        complete: (o) => aggregate.add(o),
      });
    }
  }

  #refreshProducers(address: string): void {
    for (const producer of this.#producers) {
      if (producer.address === address) producer.refreshCredit();
    }
  }
}

/**
 * Producer outcome for an unsettled multicast delivery, once every copy is settled:
 * rejected if any copy was rejected, else accepted if any was accepted, else released.
 */
export class MulticastOutcome {
  #pending: number;
  #accepted = false;
  #rejected: Outcome | undefined;

  readonly #done: (outcome: Outcome) => void;

  constructor(copies: number, done: (outcome: Outcome) => void) {
    this.#pending = copies;
    this.#done = done;
  }

  add(outcome: Outcome): void {
    if (outcome.kind === "accepted") this.#accepted = true;
    if (outcome.kind === "rejected" && !this.#rejected) this.#rejected = outcome;
    this.#pending--;
    if (this.#pending > 0) return;
    if (this.#rejected) this.#done(this.#rejected);
    else if (this.#accepted) this.#done(outcomes.accepted());
    else this.#done(outcomes.released());
  }
}
