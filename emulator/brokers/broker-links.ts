/**
 * A router's links to brokers: connectors with role `route-container` (real outgoing AMQP
 * connections, reconnected while configured), autoLinks (a router-owned link per address
 * and direction: `out` carries the address's phase-0 messages to the broker, `in` feeds
 * messages from the broker into phase 1) and linkRoutes (qpid-dispatch: a client's attach
 * on a matching address is proxied, link for link, onto the broker connection).
 *
 * Differences from qdrouterd, on purpose: the router answers a link-routed attach at once
 * and detaches it with the broker's error when the broker refuses. Which router an attach
 * goes to is the RoutingCore's choice (`findLinkRoute`); this module answers, per router,
 * whether its config link-routes an address and whether it holds the route's connection.
 */

import type { StoredEntity } from "../entities/entity-store.ts";
import type { Attributes } from "../entities/schema.ts";
import type { LinkRouteHandler } from "../protocol/client-connection.ts";
import { guardDispositionBatching, markOwnLink, rhea } from "../protocol/rhea-internals.ts";
import { ActiveAutoLink, type BrokerHost } from "./auto-link.ts";
import { AutoLinkBinding, type CarrierConnector } from "./auto-link-binding.ts";
import { BrokerConnection, type RheaContainer } from "./broker-connection.ts";
import { linkRouteMatches, mapExternal, proxyConsumer, proxyProducer } from "./link-route.ts";
import type { RouteContainerPeer } from "./route-container-peer.ts";

export class BrokerLinks {
  readonly #connectors = new Map<StoredEntity, BrokerConnection>();
  readonly #autoLinks = new Map<StoredEntity, AutoLinkBinding<ActiveAutoLink>>();
  /** Connections peers opened to route-container listeners, while they last. */
  readonly #routeContainerPeers = new Set<RouteContainerPeer>();
  #container: RheaContainer | undefined;

  private readonly host: BrokerHost;
  constructor(host: BrokerHost) {
    this.host = host;
  }

  #rhea(): RheaContainer {
    if (!this.#container) {
      this.#container = rhea.create_container({ id: this.host.id });
      for (const event of ["error", "protocol_error", "connection_error", "session_error"]) {
        this.#container.on(event, () => {});
      }
    }
    return this.#container;
  }

  /** Everything that may carry link routes and autoLinks: connectors, inbound connections. */
  #carriers(): CarrierConnector[] {
    return [...this.#connectors.values(), ...this.#routeContainerPeers];
  }

  /** A peer connected to a route-container listener: it carries routes until it goes. */
  addRouteContainerPeer(carrier: RouteContainerPeer): void {
    this.#routeContainerPeers.add(carrier);
    for (const binding of this.#autoLinks.values()) binding.bind(carrier);
  }

  removeRouteContainerPeer(carrier: RouteContainerPeer): void {
    if (!this.#routeContainerPeers.delete(carrier)) return;
    carrier.down();
    for (const binding of this.#autoLinks.values()) binding.forget(carrier);
  }

  /** The carrier a linkRoute names: connector or listener by name, or by container id. */
  #connectorFor(a: Attributes): CarrierConnector | undefined {
    for (const c of this.#carriers()) {
      if (typeof a.connection === "string" && c.name === a.connection) return c;
      if (typeof a.containerId === "string" && c.remoteContainer === a.containerId) return c;
    }
    return undefined;
  }

  activate(entity: StoredEntity): void {
    switch (entity.type) {
      case "connector": {
        if (entity.attributes.role !== "route-container") return;
        const connector = new BrokerConnection(entity, this.#rhea());
        this.#connectors.set(entity, connector);
        // autoLinks configured before their connector bind to it now.
        for (const binding of this.#autoLinks.values()) binding.bind(connector);
        connector.start();
        return;
      }
      case "router.config.autoLink": {
        const binding = new AutoLinkBinding(new ActiveAutoLink(entity, this.host));
        this.#autoLinks.set(entity, binding);
        for (const carrier of this.#carriers()) binding.bind(carrier);
        return;
      }
      default:
        return;
    }
  }

  async deactivate(entity: StoredEntity): Promise<void> {
    const connector = this.#connectors.get(entity);
    if (connector) {
      this.#connectors.delete(entity);
      await connector.stop();
      for (const binding of this.#autoLinks.values()) binding.forget(connector);
    }
    const auto = this.#autoLinks.get(entity);
    if (auto) {
      this.#autoLinks.delete(entity);
      auto.unbind();
    }
  }

  /**
   * Whether this router's config link-routes the address at all: any matching linkRoute,
   * with or without a connection of its own. qdrouterd only treats an attach as link-routed
   * where its own link-route table (or, for an edge, its interior's) has the pattern.
   */
  linkRouteConfigured(address: string, direction: "in" | "out"): boolean {
    for (const entity of this.host.store.ofType("router.config.linkRoute")) {
      const a = entity.attributes;
      if (a.direction === direction && linkRouteMatches(a, address)) return true;
    }
    return false;
  }

  /** Whether this router's connector of that name has its broker connection open. */
  connectorUp(name: string): boolean {
    for (const c of this.#connectors.values()) if (c.name === name && c.connected) return true;
    return false;
  }

  /** The last connection error of the connector `name`, for timeout messages. */
  connectorError(name: string): string | undefined {
    for (const c of this.#connectors.values())
      if (c.name === name)
        return [c.secretError, c.lastError].filter((e) => e !== undefined).join("; ") || undefined;
    return undefined;
  }

  /**
   * The route's far end when this router holds its connection and it is up: the router
   * with the container connection is where the attach leaves the mesh, and where the
   * external address is made — with this router's own add/delExternalPrefix (qdrouterd
   * rewrites the terminus only when it hands the attach to a locally connected container,
   * `qdr_forward_link_balanced_CT` in src/router_core/forwarder.c).
   */
  activeLinkRoute(address: string, direction: "in" | "out"): LinkRouteHandler | undefined {
    for (const entity of this.host.store.ofType("router.config.linkRoute")) {
      const a = entity.attributes;
      if (a.direction !== direction || !linkRouteMatches(a, address)) continue;
      const connector = this.#connectorFor(a);
      const connection = connector?.connected ? connector.connection : undefined;
      if (!connection) continue;
      const external = mapExternal(address, a);
      return {
        routeProducer: (receiver) => {
          const broker = markOwnLink(connection.open_sender({ target: { address: external } }));
          proxyProducer(receiver, broker);
        },
        routeConsumer: (sender) => {
          const broker = markOwnLink(
            connection.open_receiver({
              source: { address: external },
              autoaccept: false,
              credit_window: 0,
            }),
          );
          guardDispositionBatching(broker);
          proxyConsumer(sender, broker);
        },
      };
    }
    return undefined;
  }

  refresh(entity: StoredEntity): Attributes {
    if (entity.type === "router.config.autoLink") {
      const auto = this.#autoLinks.get(entity);
      return {
        operStatus: auto?.link.operStatus ?? "inactive",
        lastError: auto?.link.lastError ?? null,
      };
    }
    if (entity.type === "router.config.linkRoute") {
      const connector = this.#connectorFor(entity.attributes);
      return { operStatus: connector?.connected ? "active" : "inactive" };
    }
    if (entity.type === "connector") {
      const connector = this.#connectors.get(entity);
      return {
        connectionStatus: connector?.connected ? "SUCCESS" : "CONNECTING",
        connectionMsg:
          connector?.lastError ??
          connector?.secretError ??
          (connector?.connected ? "Connection Opened" : ""),
      };
    }
    return {};
  }

  connectionRows(type: string): Attributes[] {
    return [...this.#connectors.values()]
      .filter((c) => c.connected)
      .map((c) => ({
        name: `connector/${c.name}`,
        identity: `connector/${c.name}`,
        type,
        host: `${String(c.entity.attributes.host)}:${String(c.entity.attributes.port)}`,
        role: "route-container",
        dir: "out",
        container: c.remoteContainer ?? null,
        opened: true,
        operStatus: "up",
      }));
  }

  async stop(): Promise<void> {
    for (const binding of this.#autoLinks.values()) binding.unbind();
    this.#autoLinks.clear();
    for (const carrier of this.#routeContainerPeers) carrier.down();
    this.#routeContainerPeers.clear();
    const connectors = [...this.#connectors.values()];
    this.#connectors.clear();
    await Promise.all(connectors.map((c) => c.stop()));
  }
}
