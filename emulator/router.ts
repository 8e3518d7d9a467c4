/**
 * One emulated router: its configuration entities (from the config file and from
 * management), its client listeners on real TCP ports, its client connections, its
 * `$management` node and its broker links. Forwarding is the mesh's RoutingCore.
 *
 * Why it is long: the router's own state (stored entities, open listeners, client
 * connections, route-container peers) is private to this class, and what changes it together
 * stays with it — activating and deactivating entities, and wiring a listener's rhea events
 * to client connections. Routing, policy, management, runtime rows and broker links are
 * already modules of their own (routing/, policy/, management/, brokers/).
 */
import { randomBytes } from "node:crypto";
import type { RouterConfig } from "../shared/router-config/index.ts";
import {
  ADDRESS_DISTRIBUTIONS,
  type AddressDistribution,
  type RouterFlavour,
} from "../shared/router-vocabulary/index.ts";
import { BrokerLinks } from "./brokers/broker-links.ts";
import { NO_ROUTE_HANDLER } from "./brokers/link-route.ts";
import { RouteContainerPeer } from "./brokers/route-container-peer.ts";
import { EntityStore, type StoredEntity } from "./entities/entity-store.ts";
import {
  AttributeError,
  type Attributes,
  limitOf,
  managementTypeOf,
  normaliseAttributes,
  portNumber,
} from "./entities/schema.ts";
import { type ManagedRouter, ManagementAgent } from "./management/agent.ts";
import { ManagementNode } from "./management/management-node.ts";
import { runtimeRows } from "./management/runtime-rows/index.ts";
import { ConnectionLimit } from "./policy/connection-limit.ts";
import { PolicyCounters } from "./policy/policy-counters.ts";
import { VhostPolicy } from "./policy/vhost-policy.ts";
import {
  ClientConnection,
  type ClientRouter,
  type LinkRouteHandler,
  type ListenerLimits,
  normaliseAddress,
} from "./protocol/client-connection.ts";
import { DEFAULT_MAX_FRAME_SIZE } from "./protocol/frame-guard.ts";
import { OpenListener } from "./protocol/listener.ts";
import {
  type Connection,
  guarded,
  isOwnLink,
  type Receiver,
  remoteContainerId,
  type Sender,
} from "./protocol/rhea-internals.ts";
import type { Users } from "./protocol/sasl.ts";
import { tlsServerOptions } from "./protocol/tls.ts";
import { AddressTable, addressOfKey, phaseKey } from "./routing/address-table.ts";
import { DEFAULT_LINK_CAPACITY } from "./routing/producer-link.ts";
import { managementAddress } from "./routing/router-addresses.ts";
import type { RoutedDelivery, RoutingCore } from "./routing/routing-core.ts";

export interface RouterOptions {
  config: RouterConfig;
  routing: RoutingCore;
  /** PLAIN users for every listener of this router. */
  users?: Users;
  /**
   * Port to bind for the n-th client listener of the config (0 = ephemeral); undefined
   * keeps the configured port. Later restarts reuse the port bound first.
   */
  listenerPort?: (attributes: Attributes, index: number) => number | undefined;
}

const MANAGEMENT_NAMES = new Set(["$management", "_local/$management"]);

/**
 * Router-class addresses (`_topo/…`, `_local/…`, `_edge/…`) are not mobile addresses: the
 * address configuration, `unavailable` included, does not apply to them (qdrouterd looks up
 * treatments only for mobile addresses).
 */
const ROUTER_CLASS = /^_(topo|local|edge)\//;

/** The router entity's `defaultDistribution` (qdrouter.json: default `balanced`). */
function defaultDistributionOf(config: RouterConfig): AddressDistribution {
  const value = config.entities.find((e) => e.type === "router")?.attributes.defaultDistribution;
  if (value === undefined) return "balanced";
  const known = ADDRESS_DISTRIBUTIONS.find((d) => d === value);
  if (!known) {
    throw new AttributeError(
      `router ${config.routerId}: defaultDistribution '${String(value)}' is not one of ${ADDRESS_DISTRIBUTIONS.join(", ")}`,
    );
  }
  return known;
}

/** Listener roles that carry client traffic; inter-router/edge links are in-process. */
const CLIENT_ROLES = new Set(["normal", "route-container"]);

export class EmulatedRouter implements ManagedRouter, ClientRouter {
  readonly id: string;
  readonly mode: "interior" | "edge";
  readonly flavour: RouterFlavour;
  readonly routing: RoutingCore;
  readonly store = new EntityStore();
  readonly addresses = new AddressTable();
  readonly policy = new VhostPolicy();
  readonly agent: ManagementAgent;
  readonly brokers: BrokerLinks;
  readonly #options: RouterOptions;
  readonly #listeners = new Map<StoredEntity, OpenListener>();
  /** Deleted listeners whose established connections live on until the router stops. */
  readonly #retired = new Set<OpenListener>();
  readonly #boundPorts = new Map<string, number>();
  readonly #connections = new Map<Connection, ClientConnection>();
  /** What management shows of a connection: its listener's role, when it opened. */
  readonly #connectionInfo = new WeakMap<ClientConnection, { role: string; openedAt: number }>();
  /** When the router last started (management's uptime and router.node instance). */
  startedAt = Date.now();
  /** Connections to route-container listeners, as link-route and autoLink carriers. */
  readonly #routeContainerPeers = new Map<Connection, RouteContainerPeer>();
  #management: ManagementNode | undefined;
  #running = false;
  #listenerIndex = 0;
  /** The `policy` entity's maxMessageSize: a limit for every connection (0 = none). */
  #policyMaxMessageSize = 0;
  /** The `policy` entity's counters (connections processed, denials). */
  readonly policyCounters = new PolicyCounters();
  /** The `policy` entity's maxConnections, over all client listeners. */
  readonly connectionLimit = new ConnectionLimit(this.policyCounters);

  constructor(options: RouterOptions) {
    this.#options = options;
    this.id = options.config.routerId;
    this.mode = options.config.mode;
    this.flavour = options.config.flavour;
    this.routing = options.routing;
    this.agent = new ManagementAgent(this);
    this.brokers = new BrokerLinks(this);
  }

  get running(): boolean {
    return this.#running;
  }

  /** Open client listeners, first one first. */
  get listeners(): OpenListener[] {
    return [...this.#listeners.values()];
  }

  /** The open client listener configured (or created) with this name. */
  listener(name: string): OpenListener | undefined {
    for (const [entity, listener] of this.#listeners) {
      if (entity.attributes.name === name) return listener;
    }
    return undefined;
  }

  /** URL of the first client listener (what applications use). */
  get url(): string {
    const first = this.listeners[0];
    if (!first) throw new Error(`router ${this.id} has no client listener`);
    return first.url;
  }

  get port(): number {
    return this.listeners[0]?.port ?? 0;
  }

  get connections(): ClientConnection[] {
    return [...this.#connections.values()];
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.startedAt = Date.now();
    this.#listenerIndex = 0;
    const node = this.routing.graph.nodes.get(this.id);
    if (node) node.running = true;
    this.#management = new ManagementNode(this.id, this.agent, (to, payload) =>
      this.#reply(to, payload),
    );
    this.routing.addDestination(this.#management);
    this.routing.setLinkRoutes(this.id, {
      configured: (address, direction) => this.brokers.linkRouteConfigured(address, direction),
      active: (address, direction) => this.brokers.activeLinkRoute(address, direction),
    });
    try {
      // Runtime-created entities are gone after a restart: only the config file counts.
      this.store.clear();
      this.addresses.clear();
      const policy = this.#options.config.entities.find((e) => e.type === "policy");
      this.#policyMaxMessageSize = limitOf(policy?.attributes.maxMessageSize);
      this.policy.configure(policy?.attributes);
      this.connectionLimit.limit = limitOf(policy?.attributes.maxConnections);
      this.addresses.defaultDistribution = defaultDistributionOf(this.#options.config);
      for (const entity of this.#options.config.entities) {
        const type = managementTypeOf(entity.type);
        if (!type) continue;
        const attributes = normaliseAttributes(type, entity.attributes, this.flavour);
        const stored = this.store.add(type, attributes, true);
        await this.activate(stored);
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.routing.topologyChanged();
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    const node = this.routing.graph.nodes.get(this.id);
    if (node) node.running = false;
    for (const listener of [...this.#listeners.values(), ...this.#retired]) await listener.close();
    this.#listeners.clear();
    this.#retired.clear();
    for (const client of this.#connections.values()) client.closed();
    this.#connections.clear();
    this.#routeContainerPeers.clear();
    if (this.#management) this.routing.removeDestination(this.#management);
    this.#management = undefined;
    this.routing.setLinkRoutes(this.id, undefined);
    await this.brokers.stop();
    this.routing.topologyChanged();
  }

  // ---- ClientRouter -------------------------------------------------------------------

  consumerKey(address: string): string {
    if (MANAGEMENT_NAMES.has(address)) return managementAddress(this.id);
    const semantics = this.addresses.lookup(address);
    // Waypoint addresses have two phases: producers feed phase 0, consumers read phase 1.
    return semantics.waypoint ? phaseKey(address, 1) : address;
  }

  producerKey(address: string): string {
    if (MANAGEMENT_NAMES.has(address)) return managementAddress(this.id);
    const semantics = this.addresses.lookup(address);
    return semantics.waypoint ? phaseKey(address, 0) : address;
  }

  /**
   * A dynamic source's address: `_topo/0/<id>/temp.*` on an interior, `_edge/<id>/temp.*`
   * on an edge router (seen on qdrouterd 1.19.0 and skupper-router 3.5.1); reachable from
   * every router either way.
   */
  dynamicAddress(): string {
    const base = this.mode === "edge" ? `_edge/${this.id}` : `_topo/0/${this.id}`;
    return `${base}/temp.${randomBytes(6).toString("base64url")}`;
  }

  route(delivery: RoutedDelivery): void {
    this.routing.route(delivery, this.addresses.lookup(addressOfKey(delivery.address)));
  }

  linkRoute(address: string, direction: "in" | "out"): LinkRouteHandler | undefined {
    const choice = this.routing.findLinkRoute<LinkRouteHandler>(this.id, address, direction);
    if (!choice) return undefined;
    // Link-routed, but no router has the route's connection up (yet): refused like qdrouterd.
    return choice.handler ?? NO_ROUTE_HANDLER;
  }

  unavailable(address: string): boolean {
    if (MANAGEMENT_NAMES.has(address) || ROUTER_CLASS.test(address)) return false;
    return this.addresses.lookup(address).distribution === "unavailable";
  }

  distributionOf(address: string): AddressDistribution {
    return this.addresses.lookup(address).distribution;
  }

  #reply(to: string, payload: Buffer): void {
    const address = this.producerKey(normaliseAddress(to));
    this.route({ payload, presettled: true, address, ingress: this.id, complete: () => {} });
  }

  // ---- ManagedRouter ------------------------------------------------------------------

  async activate(entity: StoredEntity): Promise<void> {
    const a = entity.attributes;
    switch (entity.type) {
      case "router.config.address": {
        const rule = {
          distribution: a.distribution as AddressDistribution,
          waypoint: a.waypoint === true,
          source: String(a.identity),
        };
        if (typeof a.prefix === "string") this.addresses.add({ ...rule, prefix: a.prefix });
        else if (typeof a.pattern === "string") this.addresses.add({ ...rule, pattern: a.pattern });
        return;
      }
      case "listener":
        await this.#openListener(entity);
        return;
      case "vhost":
        this.policy.set(a);
        return;
      case "connector":
      case "router.config.autoLink":
      case "router.config.linkRoute":
        this.brokers.activate(entity);
        return;
      case "sslProfile":
        return;
    }
  }

  async deactivate(entity: StoredEntity): Promise<void> {
    switch (entity.type) {
      case "router.config.address":
        this.addresses.remove(String(entity.attributes.identity));
        return;
      case "listener": {
        const listener = this.#listeners.get(entity);
        this.#listeners.delete(entity);
        // Established connections outlive their deleted listener.
        if (listener) {
          this.#retired.add(listener);
          await listener.close(false);
        }
        return;
      }
      case "vhost":
        this.policy.delete(String(entity.attributes.hostname));
        return;
      case "connector":
      case "router.config.autoLink":
      case "router.config.linkRoute":
        await this.brokers.deactivate(entity);
        return;
      case "sslProfile":
        return;
    }
  }

  refresh(entity: StoredEntity): Attributes {
    if (entity.type === "listener") {
      const listener = this.#listeners.get(entity);
      return listener ? { port: String(listener.port) } : {};
    }
    return this.brokers.refresh(entity);
  }

  async #openListener(entity: StoredEntity): Promise<void> {
    const a = entity.attributes;
    const role = String(a.role ?? "normal");
    if (!CLIENT_ROLES.has(role)) return;
    const name = String(a.name);
    const configured = portNumber(a.port);
    if (!Number.isInteger(configured)) {
      throw new AttributeError(`Invalid port '${String(a.port)}' for listener ${name}`);
    }
    const index = this.#listenerIndex++;
    const override = entity.fromConfig ? this.#options.listenerPort?.(a, index) : undefined;
    const port = this.#boundPorts.get(name) ?? override ?? configured;
    let tls: ReturnType<typeof tlsServerOptions> | undefined;
    if (typeof a.sslProfile === "string") {
      const profile = this.store.find("name", a.sslProfile);
      if (profile?.type !== "sslProfile") {
        throw new AttributeError(`Listener ${name}: no sslProfile named '${a.sslProfile}'`);
      }
      const mechanisms = String(a.saslMechanisms ?? "");
      tls = tlsServerOptions(profile.attributes, /EXTERNAL/i.test(mechanisms));
    }
    const listener = new OpenListener({
      routerId: this.id,
      host: String(a.host ?? ""),
      port,
      saslMechanisms: a.saslMechanisms,
      authenticatePeer: a.authenticatePeer === true,
      users: this.#options.users ?? new Map(),
      idleTimeoutSeconds: typeof a.idleTimeoutSeconds === "number" ? a.idleTimeoutSeconds : 16,
      maxFrameSize: typeof a.maxFrameSize === "number" ? a.maxFrameSize : DEFAULT_MAX_FRAME_SIZE,
      admission: this.connectionLimit,
      ...(tls ? { tls } : {}),
    });
    this.#wire(
      listener,
      {
        linkCapacity: typeof a.linkCapacity === "number" ? a.linkCapacity : DEFAULT_LINK_CAPACITY,
        // A listener has no size limit of its own: the policy's, tightened by the vhost's.
        maxMessageSize: this.#policyMaxMessageSize,
        policyVhost: typeof a.policyVhost === "string" ? a.policyVhost : undefined,
      },
      role === "route-container" ? name : undefined,
    );
    await listener.open();
    if (entity.fromConfig) this.#boundPorts.set(name, listener.port);
    this.#listeners.set(entity, listener);
  }

  /**
   * Connects a listener's connections to the router. `routeContainer` (the listener's name,
   * for role `route-container`) makes each connection also a carrier for link routes and
   * autoLinks while it lasts.
   */
  #wire(listener: OpenListener, limits: ListenerLimits, routeContainer: string | undefined): void {
    const c = listener.container;
    const clientOf = (connection: Connection): ClientConnection | undefined =>
      this.#connections.get(connection);
    listener.onConnection((connection) => {
      if (!this.#running) return;
      const client = new ClientConnection(connection, this, limits, this.policy, listener.tls);
      this.#connections.set(connection, client);
      const role = routeContainer !== undefined ? "route-container" : "normal";
      this.#connectionInfo.set(client, { role, openedAt: Date.now() });
      if (routeContainer !== undefined) {
        const carrier = new RouteContainerPeer(
          routeContainer,
          connection,
          remoteContainerId(connection),
        );
        this.#routeContainerPeers.set(connection, carrier);
        this.brokers.addRouteContainerPeer(carrier);
      }
    });
    // Attaches the router opened itself (to a route container) are answers, not clients'.
    c.on(
      "sender_open",
      guarded("consumer attach", (context: { connection: Connection; sender: Sender }) => {
        if (isOwnLink(context.sender)) return;
        clientOf(context.connection)?.attachConsumer(context.sender);
      }),
    );
    c.on(
      "receiver_open",
      guarded("producer attach", (context: { connection: Connection; receiver: Receiver }) => {
        if (isOwnLink(context.receiver)) return;
        clientOf(context.connection)?.attachProducer(context.receiver);
      }),
    );
    c.on(
      "sender_close",
      guarded("consumer detach", (context: { connection: Connection; sender: Sender }) => {
        clientOf(context.connection)?.linkClosed(context.sender);
      }),
    );
    c.on(
      "receiver_close",
      guarded("producer detach", (context: { connection: Connection; receiver: Receiver }) => {
        clientOf(context.connection)?.linkClosed(context.receiver);
      }),
    );
    const gone = (context: { connection: Connection }): void => {
      const carrier = this.#routeContainerPeers.get(context.connection);
      if (carrier) {
        this.#routeContainerPeers.delete(context.connection);
        this.brokers.removeRouteContainerPeer(carrier);
      }
      const client = clientOf(context.connection);
      if (!client) return;
      this.#connections.delete(context.connection);
      client.closed();
    };
    c.on("connection_close", guarded("connection close", gone));
    c.on("disconnected", guarded("disconnect", gone));
  }

  // ---- runtime entities ---------------------------------------------------------------

  runtimeRows(type: string): Attributes[] {
    return runtimeRows(this, type);
  }

  connectionInfo(client: ClientConnection): { role: string; openedAt: number } {
    return this.#connectionInfo.get(client) ?? { role: "normal", openedAt: this.startedAt };
  }

  /** The config file's `router` section (id, mode, and what else it sets). */
  get routerAttributes(): Readonly<Record<string, unknown>> {
    return this.#options.config.entities.find((e) => e.type === "router")?.attributes ?? {};
  }

  /** The config file's `policy` section ({} when it has none). */
  get policyAttributes(): Readonly<Record<string, unknown>> {
    return this.#options.config.entities.find((e) => e.type === "policy")?.attributes ?? {};
  }

  get connectionsCurrent(): number {
    return this.connectionLimit.open;
  }

  closeConnection(identity: string): boolean {
    const client = this.connections.find((c) => c.identity === identity);
    client?.connection.close();
    return client !== undefined;
  }
}
