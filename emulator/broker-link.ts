/**
 * A router's links to brokers: connectors with role `route-container` (real outgoing AMQP
 * connections, reconnected while configured), autoLinks (a router-owned link per address
 * and direction: `out` carries the address's phase-0 messages to the broker, `in` feeds
 * messages from the broker into phase 1) and linkRoutes (qpid-dispatch: a client's attach
 * on a matching address is proxied, link for link, onto the broker connection).
 *
 * Differences from qdrouterd, on purpose: the router answers a link-routed attach at once
 * and detaches it with the broker's error when the broker refuses; a linkRoute whose
 * connector is down detaches the client with `qd:no-route-to-dest`.
 */
import { readFileSync } from "node:fs";
import { matchPattern, tokenize } from "./address-table.ts";
import {
  type Connection,
  type Delivery,
  encodeMessage,
  grantedCredit,
  guardDispositionBatching,
  guarded,
  isPresettled,
  type Message,
  outcomes,
  type Receiver,
  readOutcome,
  rhea,
  type Sender,
  sendEncoded,
  senderAvailableCredit,
  settle,
} from "./amqp.ts";
import type { LinkRouteHandler } from "./client-connection.ts";
import { ConsumerLink } from "./consumer-link.ts";
import { DEFAULT_LINK_CAPACITY, ProducerLink } from "./credit.ts";
import type { Attributes } from "./entities.ts";
import type { Fabric, RoutedDelivery } from "./fabric.ts";
import type { StoredEntity } from "./management.ts";

function describeError(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const e = error as { description?: unknown; message?: unknown };
    return String(e.description ?? e.message ?? "detached");
  }
  return "detached";
}

export const NO_ROUTE = "qd:no-route-to-dest";

/** What broker links need from their router. */
export interface BrokerHost {
  readonly id: string;
  readonly fabric: Fabric;
  readonly store: { ofType(type: StoredEntity["type"]): StoredEntity[] };
  consumerKey(address: string): string;
  producerKey(address: string): string;
  route(delivery: RoutedDelivery): void;
}

type RheaContainer = ReturnType<typeof rhea.create_container>;

/** Reconnect back-off: 200 ms, doubling up to 5 s; reset once a connection opens. */
const RECONNECT_DELAY_MS = 200;
const MAX_RECONNECT_DELAY_MS = 5_000;

/** One connector: a broker connection kept open while the connector exists. */
class BrokerConnection {
  connection: Connection | undefined;
  connected = false;
  lastError: string | undefined;
  remoteContainer: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #delay = RECONNECT_DELAY_MS;
  readonly #onUp = new Set<() => void>();
  readonly #onDown = new Set<() => void>();

  readonly entity: StoredEntity;
  private readonly container: RheaContainer;
  constructor(entity: StoredEntity, container: RheaContainer) {
    this.entity = entity;
    this.container = container;
  }

  get name(): string {
    return String(this.entity.attributes.name);
  }

  start(): void {
    const a = this.entity.attributes;
    const port = Number(a.port === "amqp" ? 5672 : a.port);
    const options: Record<string, unknown> = {
      host: String(a.host || "127.0.0.1"),
      port,
      reconnect: false,
      container_id: this.container.id,
      idle_time_out: 0,
      tcp_no_delay: true,
    };
    if (typeof a.saslUsername === "string") {
      options.username = a.saslUsername;
      if (typeof a.saslPassword === "string") options.password = resolveSecret(a.saslPassword);
    }
    const connection = this.container.connect(
      options as unknown as Parameters<RheaContainer["connect"]>[0],
    );
    this.connection = connection;
    connection.on(
      "connection_open",
      guarded("broker connection_open", () => {
        this.connected = true;
        this.lastError = undefined;
        this.#delay = RECONNECT_DELAY_MS;
        this.remoteContainer =
          typeof connection.container_id === "string" ? connection.container_id : undefined;
        for (const up of this.#onUp) up();
      }),
    );
    const down = (context: { error?: unknown }): void => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      const wasConnected = this.connected;
      this.connected = false;
      if (context.error) this.lastError = String(context.error);
      if (wasConnected) for (const d of this.#onDown) d();
      if (!this.#stopped) {
        this.#timer = setTimeout(() => this.start(), this.#delay);
        this.#delay = Math.min(this.#delay * 2, MAX_RECONNECT_DELAY_MS);
      }
    };
    connection.on("disconnected", guarded("broker disconnected", down));
    connection.on("connection_close", guarded("broker connection_close", down));
    connection.on("connection_error", () => {});
    connection.on("error", () => {});
  }

  onUp(handler: () => void): void {
    this.#onUp.add(handler);
    if (this.connected) handler();
  }

  onDown(handler: () => void): void {
    this.#onDown.add(handler);
  }

  off(up: () => void, down: () => void): void {
    this.#onUp.delete(up);
    this.#onDown.delete(down);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    const connection = this.connection;
    this.connection = undefined;
    this.connected = false;
    for (const d of this.#onDown) d();
    this.#onUp.clear();
    this.#onDown.clear();
    if (connection) {
      connection.close();
      // Do not wait for the broker's close: drop the socket soon after.
      setTimeout(() => connection.socket?.destroy?.(), 50).unref();
    }
  }
}

/** An autoLink while its connector is up: the router-side link and its bookkeeping. */
class ActiveAutoLink {
  #consumer: ConsumerLink | undefined;
  #producer: ProducerLink | undefined;
  #link: Sender | Receiver | undefined;
  operStatus: "active" | "inactive" = "inactive";
  lastError: string | undefined;

  readonly entity: StoredEntity;
  private readonly host: BrokerHost;
  constructor(entity: StoredEntity, host: BrokerHost) {
    this.entity = entity;
    this.host = host;
  }

  attach(connection: Connection): void {
    const a = this.entity.attributes;
    const address = String(a.address);
    const external = typeof a.externalAddress === "string" ? a.externalAddress : address;
    if (a.direction === "out") {
      const sender = connection.open_sender({ target: { address: external }, autosettle: true });
      this.#link = sender;
      const consumer = new ConsumerLink(
        sender,
        this.host.id,
        this.host.producerKey(address),
        this.host.fabric,
        DEFAULT_LINK_CAPACITY,
      );
      this.#consumer = consumer;
      sender.on(
        "sender_open",
        guarded("broker sender_open", () => {
          this.operStatus = "active";
          this.host.fabric.addDestination(consumer);
        }),
      );
      sender.on(
        "sender_close",
        guarded("broker sender_close", (context: { sender?: Sender }) => {
          this.lastError = describeError(context.sender?.error);
          this.detach();
        }),
      );
    } else {
      const receiver = connection.open_receiver({
        source: { address: external },
        autoaccept: false,
        credit_window: 0,
      });
      this.#link = receiver;
      guardDispositionBatching(receiver);
      const producer = new ProducerLink(
        receiver,
        this.host.id,
        this.host.consumerKey(address),
        this.host.fabric,
        DEFAULT_LINK_CAPACITY,
      );
      this.#producer = producer;
      receiver.on(
        "receiver_open",
        guarded("broker receiver_open", () => {
          this.operStatus = "active";
          this.host.fabric.registerProducer(producer);
          producer.refreshCredit();
        }),
      );
      receiver.on(
        "receiver_close",
        guarded("broker receiver_close", (context: { receiver?: Receiver }) => {
          this.lastError = describeError(context.receiver?.error);
          this.detach();
        }),
      );
      receiver.on(
        "message",
        guarded("broker message", (context: { message?: Message; delivery?: Delivery }) => {
          if (context.message && context.delivery) {
            this.#intake(producer, context.delivery, context.message);
          }
        }),
      );
    }
  }

  #intake(producer: ProducerLink, delivery: Delivery, message: Message): void {
    const presettled = isPresettled(delivery);
    producer.begin();
    let done = false;
    this.host.route({
      payload: encodeMessage(message),
      presettled,
      address: producer.address!,
      ingress: this.host.id,
      complete: (outcome) => {
        if (done) return;
        done = true;
        if (!presettled && producer.receiver.is_open()) settle(delivery, outcome);
        producer.end();
      },
    });
  }

  detach(): void {
    this.operStatus = "inactive";
    if (this.#consumer) this.#consumer.close();
    if (this.#producer) this.host.fabric.unregisterProducer(this.#producer);
    this.#consumer = undefined;
    this.#producer = undefined;
    const link = this.#link;
    this.#link = undefined;
    if (link?.is_open()) link.close();
  }
}

/** A link-routed pair: the client's link on one side, the broker's on the other. */
function proxyProducer(client: Receiver, broker: Sender): void {
  const inFlight = new Map<Delivery, Delivery>();
  let handed = 0;
  const grant = (): void => {
    // Credit is passed through: the client may send what the broker accepts now.
    const want = Math.max(0, senderAvailableCredit(broker, handed));
    const have = grantedCredit(client);
    if (want > have && client.is_open()) client.add_credit(want - have);
  };
  broker.on("sendable", guarded("broker sendable", grant));
  broker.on("sender_flow", guarded("broker sender_flow", grant));
  client.on(
    "message",
    guarded("broker message", (context: { message?: Message; delivery?: Delivery }) => {
      const { message, delivery } = context;
      if (!message || !delivery) return;
      handed++;
      const presettled = isPresettled(delivery);
      const out = sendEncoded(broker, encodeMessage(message), presettled);
      if (!presettled) inFlight.set(out, delivery);
    }),
  );
  const onOutcome = (context: { delivery?: Delivery }): void => {
    const out = context.delivery;
    if (!out) return;
    const original = inFlight.get(out);
    if (!original) return;
    inFlight.delete(out);
    settle(original, readOutcome(out.remote_state) ?? outcomes.released());
  };
  for (const e of ["accepted", "rejected", "released", "modified", "settled"])
    broker.on(e, onOutcome);
  linkClosures(client, broker, () => {
    for (const original of inFlight.values()) settle(original, outcomes.modified(true));
    inFlight.clear();
  });
}

function proxyConsumer(client: Sender, broker: Receiver): void {
  const inFlight = new Map<Delivery, Delivery>();
  let handed = 0;
  const grant = (): void => {
    const want = Math.max(0, senderAvailableCredit(client, handed));
    const have = grantedCredit(broker);
    if (want > have && broker.is_open()) broker.add_credit(want - have);
  };
  client.on("sendable", guarded("broker sendable", grant));
  client.on("sender_flow", guarded("broker sender_flow", grant));
  broker.on("receiver_open", guarded("broker receiver_open", grant));
  broker.on(
    "message",
    guarded("broker message", (context: { message?: Message; delivery?: Delivery }) => {
      const { message, delivery } = context;
      if (!message || !delivery) return;
      handed++;
      const presettled = isPresettled(delivery);
      const out = sendEncoded(client, encodeMessage(message), presettled);
      if (!presettled) inFlight.set(out, delivery);
    }),
  );
  const onOutcome = (context: { delivery?: Delivery }): void => {
    const out = context.delivery;
    if (!out) return;
    const original = inFlight.get(out);
    if (!original) return;
    inFlight.delete(out);
    settle(original, readOutcome(out.remote_state) ?? outcomes.released());
  };
  for (const e of ["accepted", "rejected", "released", "modified", "settled"])
    client.on(e, onOutcome);
  linkClosures(client, broker, () => {
    for (const original of inFlight.values()) settle(original, outcomes.released());
    inFlight.clear();
  });
}

/** Either side detaching detaches the other, passing the error along. */
function linkClosures(
  client: Sender | Receiver,
  broker: Sender | Receiver,
  cleanup: () => void,
): void {
  let done = false;
  const finish = (from: Sender | Receiver, to: Sender | Receiver): void => {
    if (done) return;
    done = true;
    cleanup();
    const error = from.error as { condition?: string; description?: string } | undefined;
    if (to.is_open()) {
      to.close(
        error?.condition
          ? { condition: error.condition, description: error.description }
          : undefined,
      );
    }
  };
  const clientEvent = client.is_receiver() ? "receiver_close" : "sender_close";
  const brokerEvent = broker.is_receiver() ? "receiver_close" : "sender_close";
  client.on(clientEvent, () => finish(client, broker));
  broker.on(brokerEvent, () => finish(broker, client));
  // The client's connection may drop without a detach.
  client.connection.on("disconnected", () => finish(client, broker));
}

function mapExternal(address: string, a: Attributes): string {
  let result = address;
  if (typeof a.delExternalPrefix === "string" && result.startsWith(a.delExternalPrefix)) {
    result = result.slice(a.delExternalPrefix.length);
  }
  if (typeof a.addExternalPrefix === "string") result = a.addExternalPrefix + result;
  return result;
}

/** linkRoute prefixes and patterns match whole tokens, like address prefixes. */
function linkRouteMatches(a: Attributes, address: string): boolean {
  const tokens = tokenize(address);
  if (typeof a.prefix === "string") {
    return matchPattern([...tokenize(a.prefix), "#"], tokens) >= 0;
  }
  if (typeof a.pattern === "string") return matchPattern(tokenize(a.pattern), tokens) >= 0;
  return false;
}

/**
 * Connector passwords as qdrouterd reads them: `env:NAME` from the environment,
 * `file:/path` from a file, `literal:text` or anything else as it is.
 */
export function resolveSecret(value: string): string {
  if (value.startsWith("env:")) return process.env[value.slice(4)] ?? "";
  if (value.startsWith("file:")) {
    try {
      return readFileSync(value.slice(5), "utf8").trim();
    } catch {
      return "";
    }
  }
  if (value.startsWith("literal:")) return value.slice(8);
  return value;
}

export class BrokerLinks {
  readonly #connectors = new Map<StoredEntity, BrokerConnection>();
  readonly #autoLinks = new Map<StoredEntity, { link: ActiveAutoLink; unbind: () => void }>();
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

  #connectorFor(a: Attributes): BrokerConnection | undefined {
    for (const c of this.#connectors.values()) {
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
        connector.start();
        // autoLinks configured before their connector bind now.
        for (const auto of this.host.store.ofType("router.config.autoLink")) {
          if (!this.#autoLinks.has(auto)) this.activate(auto);
        }
        return;
      }
      case "router.config.autoLink": {
        const connector = this.#connectorFor(entity.attributes);
        const link = new ActiveAutoLink(entity, this.host);
        if (!connector) {
          this.#autoLinks.set(entity, { link, unbind: () => {} });
          return;
        }
        const up = (): void => {
          if (connector.connection) link.attach(connector.connection);
        };
        const down = (): void => link.detach();
        connector.onUp(up);
        connector.onDown(down);
        this.#autoLinks.set(entity, {
          link,
          unbind: () => {
            connector.off(up, down);
            link.detach();
          },
        });
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
      connector.stop();
    }
    const auto = this.#autoLinks.get(entity);
    if (auto) {
      this.#autoLinks.delete(entity);
      auto.unbind();
    }
  }

  linkRoute(address: string, direction: "in" | "out"): LinkRouteHandler | undefined {
    for (const entity of this.host.store.ofType("router.config.linkRoute")) {
      const a = entity.attributes;
      if (a.direction !== direction || !linkRouteMatches(a, address)) continue;
      const connector = this.#connectorFor(a);
      const external = mapExternal(address, a);
      const unavailable = (link: Sender | Receiver): void =>
        link.close({ condition: NO_ROUTE, description: "No route to the destination node" });
      return {
        routeProducer: (receiver) => {
          const connection = connector?.connected ? connector.connection : undefined;
          if (!connection) {
            unavailable(receiver);
            return;
          }
          const broker = connection.open_sender({ target: { address: external } });
          proxyProducer(receiver, broker);
        },
        routeConsumer: (sender) => {
          const connection = connector?.connected ? connector.connection : undefined;
          if (!connection) {
            unavailable(sender);
            return;
          }
          const broker = connection.open_receiver({
            source: { address: external },
            autoaccept: false,
            credit_window: 0,
          });
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
        connectionMsg: connector?.lastError ?? (connector?.connected ? "Connection Opened" : ""),
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
    for (const { unbind } of this.#autoLinks.values()) unbind();
    this.#autoLinks.clear();
    for (const connector of this.#connectors.values()) connector.stop();
    this.#connectors.clear();
  }
}
