/**
 * A promise-based AMQP 1.0 test client over rhea, for tests that talk to a router (the
 * emulator or a real one) over real TCP. Every client has its own rhea container, never
 * reconnects, and is closed with `close()` (or `closeAll()` in afterEach).
 *
 *   const client = await connectClient(url);                  // or { username, password, tls }
 *   const receiver = await client.receiver("orders");          // autoaccept, credit 100
 *   const sender = await client.sender("orders");
 *   await sender.waitForCredit();
 *   const result = await sender.send({ body: "hi" });          // { outcome: "accepted" }
 *   const received = await receiver.next();                    // { message, delivery, ... }
 *   const reply = await client.management({ operation: "QUERY", type: "org.amqp.management",
 *     entityType: "org.apache.qpid.dispatch.router.config.address" }, { attributeNames: [] });
 *   await client.close();
 *
 * Receivers made with `{ autoaccept: false }` settle by hand: `received.accept()`,
 * `reject({ condition, description })`, `release()`, `modify({ deliveryFailed })`.
 * `link.detached` resolves with the peer's detach error (or undefined) when the peer detaches.
 */
import rhea, {
  type AmqpError,
  type Connection,
  type Delivery,
  type EventContext,
  type Message,
  type Receiver,
  type Sender,
} from "rhea";
import { waitFor, waitForValue, withTimeout } from "./wait.ts";

export type Outcome = "accepted" | "rejected" | "released" | "modified" | "presettled";

export interface SendResult {
  outcome: Outcome;
  error?: { condition: string; description?: string };
  deliveryFailed?: boolean;
  undeliverableHere?: boolean;
}

export interface ClientOptions {
  username?: string;
  password?: string;
  /** Open-frame hostname (selects the router's policy vhost). */
  hostname?: string;
  /** Connect with TLS, trusting this CA (PEM). */
  tls?: { ca: Buffer | string; servername?: string; cert?: Buffer | string; key?: Buffer | string };
  /** Milliseconds to wait for the connection to open (default 5000). */
  timeout?: number;
  containerId?: string;
  /** Leave this client out of closeAllClients() (e.g. one kept for a whole file). */
  untracked?: boolean;
}

export class ConnectError extends Error {
  override readonly name = "ConnectError";
  readonly condition: string | undefined;
  constructor(message: string, condition?: string) {
    super(message);
    this.condition = condition;
  }
}

function parseUrl(url: string): { host: string; port: number; tls: boolean } {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || (parsed.protocol === "amqps:" ? 5671 : 5672)),
    tls: parsed.protocol === "amqps:",
  };
}

function errorOf(value: unknown): { condition: string; description?: string } | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const e = value as { condition?: unknown; description?: unknown };
  if (typeof e.condition !== "string") return undefined;
  return {
    condition: e.condition,
    ...(typeof e.description === "string" ? { description: e.description } : {}),
  };
}

/** The outcome a sender saw for a delivery (rhea's remote_state). */
export function outcomeOf(delivery: Delivery): SendResult | undefined {
  const state = delivery.remote_state as
    | {
        constructor: { composite_type?: string };
        error?: unknown;
        delivery_failed?: unknown;
        undeliverable_here?: unknown;
      }
    | undefined;
  const kind = state?.constructor.composite_type;
  if (kind === "accepted" || kind === "released") return { outcome: kind };
  if (kind === "rejected") {
    const error = errorOf(state?.error);
    return { outcome: "rejected", ...(error ? { error } : {}) };
  }
  if (kind === "modified") {
    return {
      outcome: "modified",
      deliveryFailed: state?.delivery_failed === true,
      undeliverableHere: state?.undeliverable_here === true,
    };
  }
  return undefined;
}

abstract class TestLink<L extends Sender | Receiver> {
  readonly link: L;
  /** Resolves when the peer detaches the link, with its error condition if any. */
  readonly detached: Promise<{ condition: string; description?: string } | undefined>;
  #detached = false;

  constructor(link: L) {
    this.link = link;
    const event = link.is_receiver() ? "receiver_close" : "sender_close";
    const errorEvent = link.is_receiver() ? "receiver_error" : "sender_error";
    link.on(errorEvent, () => {});
    this.detached = new Promise((resolve) => {
      link.on(event, () => {
        this.#detached = true;
        resolve(errorOf(link.error));
      });
    });
  }

  get isDetached(): boolean {
    return this.#detached;
  }

  /** The address the router answered with (e.g. the generated one of a dynamic source). */
  get remoteAddress(): string | undefined {
    const terminus = this.link.is_receiver() ? this.link.source : this.link.target;
    const address = (terminus as { address?: unknown } | undefined)?.address;
    return typeof address === "string" ? address : undefined;
  }

  /** max-message-size the peer announced in its attach (undefined when none). */
  get remoteMaxMessageSize(): number | undefined {
    const value = (this.link as unknown as { max_message_size?: unknown }).max_message_size;
    return typeof value === "number" && value > 0 ? value : undefined;
  }

  async close(): Promise<void> {
    if (this.#detached || !this.link.is_open()) return;
    this.link.close();
    await withTimeout(this.detached, 2_000, "link detach").catch(() => undefined);
  }
}

export class TestSender extends TestLink<Sender> {
  readonly #pending = new Map<Delivery, (result: SendResult) => void>();

  constructor(link: Sender) {
    super(link);
    const settle = (context: EventContext): void => {
      const delivery = context.delivery;
      if (!delivery) return;
      const resolve = this.#pending.get(delivery);
      if (!resolve) return;
      const result = outcomeOf(delivery);
      if (!result && !delivery.remote_settled) return;
      this.#pending.delete(delivery);
      resolve(result ?? { outcome: "released" });
    };
    for (const e of ["accepted", "rejected", "released", "modified", "settled"]) link.on(e, settle);
    // A router drains a producer whose address has no path (qdrouterd transfer.c): this
    // sender buffers nothing, so it gives all its credit back at once, as AMQP asks.
    link.on("sender_draining", () => link.set_drained(true));
    void this.detached.then(() => {
      // A detached link's unsettled deliveries will never get an outcome.
      for (const resolve of this.#pending.values()) resolve({ outcome: "released" });
      this.#pending.clear();
    });
  }

  get credit(): number {
    return (this.link as unknown as { credit: number }).credit;
  }

  /** Waits for credit; a link the router detached meanwhile fails at once, with its reason. */
  async waitForCredit(minimum = 1, timeout = 5_000): Promise<void> {
    const detachedWith: { error?: { condition: string; description?: string } }[] = [];
    void this.detached.then((error) => detachedWith.push(error === undefined ? {} : { error }));
    await waitFor(() => this.credit >= minimum || detachedWith.length > 0, {
      timeout,
      what: `credit >= ${minimum}`,
    });
    if (this.credit >= minimum) return;
    const error = detachedWith[0]?.error;
    const reason = error
      ? `${error.condition}${error.description ? ` (${error.description})` : ""}`
      : "no error given";
    throw new Error(
      `the router detached the sender of ${this.remoteAddress ?? "its address"} while it waited for credit: ${reason}`,
    );
  }

  /** Sends and resolves with the outcome (presettled sends resolve at once). */
  send(
    message: Partial<Message> | string,
    options: { presettled?: boolean } = {},
  ): Promise<SendResult> {
    const msg = typeof message === "string" ? { body: message } : message;
    const delivery = this.link.send(msg as Message);
    if (options.presettled) {
      (delivery as { settled: boolean }).settled = true;
      return Promise.resolve({ outcome: "presettled" });
    }
    return new Promise((resolve) => this.#pending.set(delivery, resolve));
  }

  /** Sends and waits for the outcome at most `timeout` ms. */
  async sendAndWait(message: Partial<Message> | string, timeout = 5_000): Promise<SendResult> {
    return withTimeout(this.send(message), timeout, "the delivery's outcome");
  }
}

export interface ReceivedMessage {
  message: Message;
  delivery: Delivery;
  accept(): void;
  reject(error?: { condition: string; description?: string }): void;
  release(): void;
  modify(options?: { deliveryFailed?: boolean; undeliverableHere?: boolean }): void;
}

export class TestReceiver extends TestLink<Receiver> {
  readonly messages: ReceivedMessage[] = [];
  #taken = 0;
  /** Settlements not yet handed to rhea, one per event-loop turn (see #settle). */
  readonly #settlements: Array<() => void> = [];

  constructor(link: Receiver) {
    super(link);
    link.on("message", (context: EventContext) => {
      const delivery = context.delivery!;
      this.messages.push({
        message: context.message!,
        delivery,
        accept: () => this.#settle(() => delivery.accept()),
        reject: (error) => this.#settle(() => delivery.reject(error as AmqpError | undefined)),
        release: () => this.#settle(() => delivery.release()),
        modify: (options = {}) =>
          this.#settle(() =>
            delivery.modified({
              delivery_failed: options.deliveryFailed ?? true,
              undeliverable_here: options.undeliverableHere ?? false,
            }),
          ),
      });
    });
  }

  /**
   * rhea (3.0.x, session.js write_dispositions) writes all settlements of one tick as
   * disposition ranges and can merge an `accepted` and the next delivery's `rejected` into
   * one `accepted` range. This judge of routers uses rhea's public API only, so it hands
   * rhea one settlement per event-loop turn: each goes out in its own disposition frame.
   */
  #settle(apply: () => void): void {
    this.#settlements.push(apply);
    if (this.#settlements.length === 1) setImmediate(() => this.#nextSettlement());
  }

  #nextSettlement(): void {
    const apply = this.#settlements.shift();
    apply?.();
    if (this.#settlements.length > 0) setImmediate(() => this.#nextSettlement());
  }

  /** The next message not yet taken by next(). */
  async next(timeout = 5_000): Promise<ReceivedMessage> {
    await waitFor(() => this.messages.length > this.#taken, { timeout, what: "a message" });
    return this.messages[this.#taken++]!;
  }

  addCredit(credit: number): void {
    this.link.add_credit(credit);
  }

  /** Asks the sender to use up or give back all credit; resolves when it has (drained). */
  async drain(timeout = 5_000): Promise<void> {
    const link = this.link as Receiver & { drain: boolean };
    const drained = new Promise<void>((resolve) => link.once("receiver_drained", () => resolve()));
    link.drain_credit();
    await withTimeout(drained, timeout, "the sender to drain");
    // rhea keeps the drain flag set; later flows must not drain again.
    link.drain = false;
  }

  get credit(): number {
    return (this.link as unknown as { credit: number }).credit;
  }

  get bodies(): unknown[] {
    return this.messages.map((m) => m.message.body);
  }
}

export interface ReceiverOptions {
  /** Credit window kept topped up (default 100); 0 = manual, use addCredit(). */
  credit?: number;
  autoaccept?: boolean;
}

export interface ManagementReply {
  statusCode: number;
  statusDescription: string;
  body: unknown;
}

export class TestClient {
  readonly connection: Connection;
  readonly #links: TestLink<Sender | Receiver>[] = [];
  #management:
    | { senders: Map<string, TestSender>; receiver: TestReceiver; replyTo: string }
    | undefined;
  #nextCorrelation = 1;

  constructor(connection: Connection) {
    this.connection = connection;
  }

  async #opened<T extends TestLink<Sender | Receiver>>(
    link: T,
    event: string,
    timeout: number,
  ): Promise<T> {
    this.#links.push(link);
    await withTimeout(
      Promise.race([
        new Promise<void>((resolve) => link.link.once(event, () => resolve())),
        link.detached.then(() => undefined),
      ]),
      timeout,
      "the link to attach",
    );
    return link;
  }

  /** Opens a sending link; `null` opens an anonymous sender (per-message `to`). */
  async sender(address: string | null, options: { timeout?: number } = {}): Promise<TestSender> {
    const link = this.connection.open_sender({
      target: address === null ? {} : { address },
      treat_modified_as_released: false,
      autosettle: true,
    } as Parameters<Connection["open_sender"]>[0]);
    return this.#opened(new TestSender(link), "sender_open", options.timeout ?? 5_000);
  }

  /** Opens a receiving link; `{ dynamic: true }` asks the router for a reply address. */
  async receiver(
    source: string | { dynamic: true },
    options: ReceiverOptions & { timeout?: number } = {},
  ): Promise<TestReceiver> {
    const link = this.connection.open_receiver({
      source: typeof source === "string" ? { address: source } : { dynamic: true },
      credit_window: options.credit ?? 100,
      autoaccept: options.autoaccept ?? true,
    } as Parameters<Connection["open_receiver"]>[0]);
    return this.#opened(new TestReceiver(link), "receiver_open", options.timeout ?? 5_000);
  }

  /**
   * One AMQP management request to `$management` (or `address`), answered via a dynamic
   * reply-to. The request link targets the management address itself (not an anonymous
   * link), so a vhost policy that allows `$management` as a target lets it through.
   */
  async management(
    properties: Record<string, unknown>,
    body: unknown = {},
    options: { address?: string; timeout?: number } = {},
  ): Promise<ManagementReply> {
    const correlationId = await this.sendManagement(properties, body, options);
    return waitForValue(() => this.managementReply(correlationId), {
      timeout: options.timeout ?? 5_000,
      what: `the management reply to ${JSON.stringify(properties)}`,
    });
  }

  /**
   * Sends a management request without waiting for its answer; returns its correlation id,
   * for `managementReply`. (A request some routers never answer can be followed by one they
   * do: once that answer is in, the first one has had its chance.)
   */
  async sendManagement(
    properties: Record<string, unknown>,
    body: unknown = {},
    options: { address?: string; timeout?: number } = {},
  ): Promise<string> {
    const timeout = options.timeout ?? 5_000;
    const address = options.address ?? "$management";
    if (!this.#management) {
      const receiver = await this.receiver({ dynamic: true });
      const replyTo = receiver.remoteAddress;
      if (!replyTo) throw new Error("the router gave the dynamic receiver no address");
      this.#management = { senders: new Map(), receiver, replyTo };
    }
    const { senders, replyTo } = this.#management;
    let sender = senders.get(address);
    if (!sender) {
      sender = await this.sender(address);
      senders.set(address, sender);
    }
    await sender.waitForCredit(1, timeout);
    const correlationId = `mgmt-${this.#nextCorrelation++}`;
    // Routers' agents copy only the request's correlation id into the reply (agent.py
    // respond()); the tools (qdmanage, skmanage) send a correlation id and no message id.
    void sender.send({
      reply_to: replyTo,
      correlation_id: correlationId,
      application_properties: properties,
      body,
    });
    return correlationId;
  }

  /** The answer to the request `sendManagement` sent with this correlation id, once in. */
  managementReply(correlationId: string): ManagementReply | undefined {
    const reply = this.#management?.receiver.messages.find(
      (m) => m.message.correlation_id === correlationId,
    );
    if (!reply) return undefined;
    const props = (reply.message.application_properties ?? {}) as Record<string, unknown>;
    return {
      statusCode: Number(props.statusCode),
      statusDescription: String(props.statusDescription ?? ""),
      body: reply.message.body,
    };
  }

  /**
   * Resolves once the router has answered a management request on this connection: frames
   * of one connection arrive in order, so whatever the router sent before its answer (a
   * flow granting credit after an attach, say) has arrived too. A check that something did
   * not happen waits for this, not for a tick.
   */
  async barrier(flavourPrefix = "org.apache.qpid.dispatch"): Promise<void> {
    await this.management(
      { operation: "QUERY", type: "org.amqp.management", entityType: `${flavourPrefix}.router` },
      { attributeNames: ["id"] },
    );
  }

  /** The error the peer closed the connection with, if any. */
  get closeError(): { condition: string; description?: string } | undefined {
    return errorOf(this.connection.error);
  }

  get isOpen(): boolean {
    return this.connection.is_open() && this.connection.is_remote_open();
  }

  /** Resolves when the connection drops or is closed by the peer. */
  disconnected(timeout = 5_000): Promise<void> {
    if (!this.connection.is_open() || this.connection.is_closed()) return Promise.resolve();
    return withTimeout(
      new Promise<void>((resolve) => {
        this.connection.once("disconnected", () => resolve());
        this.connection.once("connection_close", () => resolve());
      }),
      timeout,
      "the connection to drop",
    );
  }

  async close(): Promise<void> {
    const connection = this.connection;
    const socket = connection.socket as { destroyed?: boolean } | undefined;
    if (connection.is_open() && !connection.is_closed() && socket?.destroyed !== true) {
      const closed = new Promise<void>((resolve) => {
        connection.once("connection_close", () => resolve());
        connection.once("disconnected", () => resolve());
      });
      connection.close();
      await withTimeout(closed, 2_000, "the connection to close").catch(() => undefined);
    }
    (connection.socket as { destroy?: () => void } | undefined)?.destroy?.();
    openClients.delete(this);
  }
}

const openClients = new Set<TestClient>();

/** Connects and resolves once the peer's open arrives; rejects with the peer's error. */
export async function connectClient(url: string, options: ClientOptions = {}): Promise<TestClient> {
  const { host, port, tls } = parseUrl(url);
  const container = rhea.create_container(
    options.containerId ? { id: options.containerId } : undefined,
  );
  // Errors are observed through promises; rhea must not throw them as unhandled events.
  for (const e of ["error", "protocol_error", "connection_error", "session_error"]) {
    container.on(e, () => {});
  }
  const connectOptions: Record<string, unknown> = {
    host,
    port,
    reconnect: false,
    idle_time_out: 0,
  };
  if (options.username !== undefined) connectOptions.username = options.username;
  if (options.password !== undefined) connectOptions.password = options.password;
  if (options.hostname !== undefined) connectOptions.hostname = options.hostname;
  if (tls || options.tls) {
    connectOptions.transport = "tls";
    connectOptions.ca = options.tls?.ca;
    connectOptions.servername = options.tls?.servername ?? host;
    if (options.tls?.cert) connectOptions.cert = options.tls.cert;
    if (options.tls?.key) connectOptions.key = options.tls.key;
  }
  const connection = container.connect(
    connectOptions as unknown as Parameters<typeof container.connect>[0],
  );
  const client = new TestClient(connection);
  if (!options.untracked) openClients.add(client);
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        connection.once("connection_open", () => resolve());
        const fail = (context: EventContext): void => {
          const error = errorOf(connection.error) ?? errorOf(context.error);
          reject(
            new ConnectError(
              `connection to ${url} failed: ${error?.condition ?? String(context.error ?? "disconnected")}${error?.description ? ` (${error.description})` : ""}`,
              error?.condition,
            ),
          );
        };
        connection.once("connection_close", fail);
        connection.once("connection_error", fail);
        connection.once("disconnected", fail);
      }),
      options.timeout ?? 5_000,
      `a connection to ${url}`,
    );
  } catch (error) {
    await client.close();
    throw error;
  }
  return client;
}

/** Closes every client still open (for afterEach/afterAll). */
export async function closeAllClients(): Promise<void> {
  await Promise.all([...openClients].map((c) => c.close()));
}
