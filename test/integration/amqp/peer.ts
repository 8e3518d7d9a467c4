/**
 * A tiny scriptable AMQP 1.0 peer for the client's tests: listens on an ephemeral port,
 * accepts links, stores accepted messages in per-address queues (optionally shared between
 * two peers), and lets a test choose each outcome, withhold credit or cut connections.
 */
import type { AddressInfo, Server } from "node:net";
import rhea from "rhea";

/** `settle`: settled without an outcome (no state); `hold`: never settled. */
export type PeerOutcome = "accept" | "release" | "modify" | "reject" | "settle" | "hold";

/** What the peer received on its incoming links (the client's senders). */
export interface ReceivedTransfer {
  address: string;
  messageId: string | undefined;
  settled: boolean;
  message: rhea.Message;
  outcome: PeerOutcome;
}

/** What a client consumer did with a delivery the peer sent. */
export interface Disposition {
  address: string;
  messageId: string | undefined;
  outcome: "accepted" | "released" | "modified" | "rejected";
  description: string | undefined;
}

interface OutgoingLink {
  address: string;
  sender: rhea.Sender;
  unsettled: number;
  /** Deliveries the client has not settled yet, checked against rhea's view of each frame. */
  outstanding: Set<rhea.Delivery>;
  /** Deliveries handed to rhea; rhea's credit only drops when it transmits them. */
  submitted: number;
}

/** Credit left on a sender link, counting deliveries rhea has not transmitted yet. */
function usableCredit(link: OutgoingLink): number {
  const sender = link.sender as unknown as { credit: number; delivery_count: number };
  return sender.credit - (link.submitted - sender.delivery_count);
}

/** Accepted messages per address, and the consumer links that drain them. */
export class MessageStore {
  readonly queues = new Map<string, rhea.Message[]>();
  readonly links = new Set<OutgoingLink>();
  /** Message id of each delivery sent to a consumer. */
  readonly sentIds = new WeakMap<object, string | undefined>();
  readonly sentMessages = new WeakMap<object, rhea.Message>();
  /** Most deliveries a consumer link had unsettled at once, per address. */
  readonly maxUnsettled = new Map<string, number>();

  push(address: string, message: rhea.Message, front = false): void {
    const queue = this.queues.get(address) ?? [];
    if (front) queue.unshift(message);
    else queue.push(message);
    this.queues.set(address, queue);
    this.pump(address);
  }

  depth(address: string): number {
    return this.queues.get(address)?.length ?? 0;
  }

  pump(address: string): void {
    const queue = this.queues.get(address);
    if (!queue) return;
    for (const link of this.links) {
      if (link.address !== address) continue;
      // rhea applies dispositions at once but reports them a tick later: prune by state.
      for (const d of link.outstanding)
        if (d.remote_settled || d.remote_state) link.outstanding.delete(d);
      while (queue.length > 0 && link.sender.sendable() && usableCredit(link) > 0) {
        const message = queue.shift() as rhea.Message;
        const delivery = link.sender.send(message);
        this.sentIds.set(
          delivery,
          message.message_id === undefined ? undefined : String(message.message_id),
        );
        this.sentMessages.set(delivery, message);
        link.unsettled++;
        link.submitted++;
        link.outstanding.add(delivery);
        const outstanding = link.outstanding.size;
        this.maxUnsettled.set(address, Math.max(this.maxUnsettled.get(address) ?? 0, outstanding));
      }
    }
  }
}

export interface PeerOptions {
  /** Shared store so two peers act like two routers in front of one queue. */
  store?: MessageStore;
  /** Credit granted to each incoming link (the client's senders); 0 withholds credit. */
  credit?: number;
  /** TLS server key and cert; with `clientCa` client certificates are required. */
  tls?: { key: string; cert: string; clientCa?: string };
  /** SASL EXTERNAL only (the client's TLS certificate is its identity). */
  external?: boolean;
  /** When set, SASL PLAIN is required and checked against these users. */
  users?: Record<string, string>;
}

let dynamicCounter = 0;

export class TestPeer {
  readonly store: MessageStore;
  readonly received: ReceivedTransfer[] = [];
  readonly dispositions: Disposition[] = [];
  /** Chooses the outcome for each transfer; `attempt` counts transfers with that message id. */
  outcome: (address: string, messageId: string | undefined, attempt: number) => PeerOutcome = () =>
    "accept";
  /** Called for every transfer after its outcome is applied (e.g. to cut the connection). */
  onTransfer: ((transfer: ReceivedTransfer) => void) | undefined;
  readonly saslLogins: string[] = [];
  /** SASL mechanism class rhea used for each opened connection (e.g. ExternalServer). */
  readonly mechanisms: string[] = [];
  /** Values of AMQP open.idle-time-out the clients sent. */
  readonly idleTimeouts: number[] = [];
  connectionsOpened = 0;
  /** Cut every connection right after it opens (a flapping router). */
  dropOnOpen = false;
  /**
   * Refuses an attach when it returns an error: answered as a router does (a null terminus
   * on our side, AMQP 1.0 §2.6.3) and detached with the error — at once, or `detachAfterMs`
   * later (the detach then travels in a frame of its own). `role` is the client's.
   */
  refuseAttach:
    | ((link: {
        role: "sender" | "receiver";
        address: string | undefined;
        dynamic: boolean;
      }) => { condition: string; description?: string; detachAfterMs?: number } | undefined)
    | undefined;
  // Links the clients open get no automatic credit or acceptance: the tests script both.
  private readonly container = rhea.create_container({
    id: "test-peer",
    credit_window: 0,
    autoaccept: false,
    tcp_no_delay: true,
    treat_modified_as_released: false,
  } as rhea.ContainerOptions);
  private readonly connections = new Set<rhea.Connection>();
  private readonly incoming = new Set<rhea.Receiver>();
  private readonly attempts = new Map<string, number>();
  private server: Server | undefined;
  private readonly credit: number;
  private readonly options: PeerOptions;
  port = 0;

  private constructor(options: PeerOptions) {
    this.options = options;
    this.store = options.store ?? new MessageStore();
    this.credit = options.credit ?? 100;
  }

  static async start(options: PeerOptions = {}): Promise<TestPeer> {
    const peer = new TestPeer(options);
    await peer.listen();
    return peer;
  }

  get url(): string {
    return `${this.options.tls ? "amqps" : "amqp"}://127.0.0.1:${this.port}`;
  }

  private listen(port = 0): Promise<void> {
    const c = this.container;
    if (this.options.users) {
      const users = this.options.users;
      c.sasl_server_mechanisms.enable_plain((username: string, password: string) => {
        const ok = users[username] === password;
        if (ok) this.saslLogins.push(username);
        return ok;
      });
    } else if (!this.options.external) {
      c.sasl_server_mechanisms.enable_anonymous();
    }
    c.removeAllListeners();
    c.on("connection_open", (ctx: rhea.EventContext) => {
      this.connectionsOpened++;
      const mechanism = (ctx.connection as unknown as { sasl_transport?: { mechanism?: object } })
        .sasl_transport?.mechanism?.constructor.name;
      if (mechanism) this.mechanisms.push(mechanism);
      this.connections.add(ctx.connection);
      if (this.dropOnOpen) setImmediate(() => this.dropConnections("destroy"));
      const idle = ctx.connection.idle_time_out;
      if (typeof idle === "number") this.idleTimeouts.push(idle);
    });
    c.on("disconnected", (ctx: rhea.EventContext) => this.forget(ctx.connection));
    c.on("connection_close", (ctx: rhea.EventContext) => this.forget(ctx.connection));
    c.on("error", () => {});
    c.on("receiver_open", (ctx: rhea.EventContext) => this.incomingOpened(ctx));
    c.on("message", (ctx: rhea.EventContext) => this.transfer(ctx));
    c.on("sender_open", (ctx: rhea.EventContext) => this.outgoingOpened(ctx));
    c.on("sendable", (ctx: rhea.EventContext) => {
      const address = ctx.sender?.source?.address;
      if (typeof address === "string") this.store.pump(address);
    });
    // Drain: send what is queued, then give back the rest of the credit.
    c.on("sender_draining", (ctx: rhea.EventContext) => {
      const sender = ctx.sender as rhea.Sender;
      const address = sender.source?.address;
      if (typeof address === "string") this.store.pump(address);
      // Nothing queued beyond what was sent: give back the remaining credit.
      if (typeof address !== "string" || this.store.depth(address) === 0) sender.set_drained(true);
    });
    for (const event of ["accepted", "released", "modified", "rejected"] as const) {
      c.on(event, (ctx: rhea.EventContext) => this.settledByClient(ctx, event));
    }
    c.on("sender_close", (ctx: rhea.EventContext) => this.outgoingClosed(ctx));
    const listenOptions: Record<string, unknown> = { port, host: "127.0.0.1" };
    if (this.options.tls) {
      const { clientCa, ...tls } = this.options.tls;
      Object.assign(listenOptions, { transport: "tls", ...tls });
      if (clientCa)
        Object.assign(listenOptions, {
          ca: [clientCa],
          requestCert: true,
          rejectUnauthorized: true,
        });
    }
    if (this.options.users || this.options.external) listenOptions.require_sasl = true;
    if (this.options.external) listenOptions.enable_sasl_external = true;
    const server = c.listen(listenOptions as unknown as rhea.ServerConnectionOptions) as Server;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("listening", () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
      server.once("error", reject);
    });
  }

  private forget(connection: rhea.Connection): void {
    this.connections.delete(connection);
    for (const link of [...this.store.links]) {
      if (link.sender.connection === connection) this.store.links.delete(link);
    }
  }

  private incomingOpened(ctx: rhea.EventContext): void {
    const receiver = ctx.receiver as rhea.Receiver;
    const target = receiver.target as { address?: unknown } | undefined;
    const address = typeof target?.address === "string" ? target.address : undefined;
    if (this.refused(receiver, { role: "sender", address, dynamic: false })) return;
    // Answer with the termini the client asked for, as a router does.
    receiver.set_source(receiver.source ?? {});
    receiver.set_target(receiver.target ?? {});
    this.incoming.add(receiver);
    if (this.credit > 0) receiver.add_credit(this.credit);
  }

  /** Gives credit to every incoming link (after constructing with credit: 0). */
  grantCredit(credit: number): void {
    for (const receiver of this.incoming) if (receiver.is_open()) receiver.add_credit(credit);
  }

  private transfer(ctx: rhea.EventContext): void {
    const receiver = ctx.receiver as rhea.Receiver;
    const delivery = ctx.delivery as rhea.Delivery;
    const message = ctx.message as rhea.Message;
    const address = String(receiver.target?.address ?? "");
    const messageId = message.message_id === undefined ? undefined : String(message.message_id);
    const key = `${address}\u0000${messageId}`;
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    const settled = delivery.remote_settled;
    const outcome = settled ? "accept" : this.outcome(address, messageId, attempt);
    const transfer: ReceivedTransfer = { address, messageId, settled, message, outcome };
    this.received.push(transfer);
    switch (outcome) {
      case "accept":
        if (!settled) delivery.accept();
        this.store.push(address, message);
        break;
      case "release":
        delivery.release();
        break;
      case "modify":
        delivery.modified({ delivery_failed: true });
        break;
      case "reject":
        delivery.reject({ condition: "amqp:precondition-failed", description: "peer says no" });
        break;
      case "settle":
        delivery.update(true);
        break;
      case "hold":
        break;
    }
    if (this.credit > 0) receiver.add_credit(1);
    this.onTransfer?.(transfer);
  }

  private outgoingOpened(ctx: rhea.EventContext): void {
    const sender = ctx.sender as rhea.Sender;
    const source = sender.source as { address?: unknown; dynamic?: unknown } | undefined;
    let address = String(source?.address ?? "");
    const dynamic = source?.dynamic === true;
    if (this.refused(sender, { role: "receiver", address: dynamic ? undefined : address, dynamic }))
      return;
    sender.set_target(sender.target ?? {});
    if (dynamic) {
      // A reply address of our own, like a router's dynamic source.
      address = `dynamic/${++dynamicCounter}`;
      sender.set_source({ address, dynamic: true });
    } else {
      sender.set_source(sender.source ?? {});
    }
    this.store.links.add({ address, sender, unsettled: 0, submitted: 0, outstanding: new Set() });
    this.store.pump(address);
  }

  /** Applies refuseAttach: a null terminus on our side, then the detach with the error. */
  private refused(
    link: rhea.Sender | rhea.Receiver,
    attach: { role: "sender" | "receiver"; address: string | undefined; dynamic: boolean },
  ): boolean {
    const refusal = this.refuseAttach?.(attach);
    if (!refusal) return false;
    const { detachAfterMs, ...error } = refusal;
    const local = (link as unknown as { local: { attach: { source?: unknown; target?: unknown } } })
      .local.attach;
    if (link.is_sender()) local.source = null;
    else local.target = null;
    if (detachAfterMs === undefined) link.close(error);
    else setTimeout(() => link.close(error), detachAfterMs);
    return true;
  }

  /**
   * Detaches the links the peer sends on (the clients' receivers) whose address matches,
   * with `error` if given (a router forcing a detach, or losing a dynamic address).
   */
  detachReceivers(
    matches: (address: string) => boolean,
    error?: { condition: string; description?: string },
  ): number {
    let detached = 0;
    for (const link of [...this.store.links]) {
      if (!matches(link.address) || !link.sender.is_open()) continue;
      link.sender.close(error);
      this.store.links.delete(link);
      detached++;
    }
    return detached;
  }

  /**
   * Detaches the links the peer receives on (the clients' senders) whose target matches,
   * with `error` if given (a router forcing a detach).
   */
  detachSenders(
    matches: (address: string) => boolean,
    error?: { condition: string; description?: string },
  ): number {
    let detached = 0;
    for (const receiver of this.incoming) {
      const address = String((receiver.target as { address?: unknown } | undefined)?.address);
      if (!matches(address) || !receiver.is_open()) continue;
      receiver.close(error);
      detached++;
    }
    return detached;
  }

  private outgoingClosed(ctx: rhea.EventContext): void {
    for (const link of [...this.store.links])
      if (link.sender === ctx.sender) this.store.links.delete(link);
  }

  private settledByClient(
    ctx: rhea.EventContext,
    outcome: "accepted" | "released" | "modified" | "rejected",
  ): void {
    const sender = ctx.sender as rhea.Sender;
    const link = [...this.store.links].find((l) => l.sender === sender);
    const address = String(sender.source?.address ?? "");
    if (link) link.unsettled--;
    const sent = ctx.delivery ? this.store.sentMessages.get(ctx.delivery) : undefined;
    // Released or modified deliveries go back to the head of the queue, like a broker.
    if (sent && (outcome === "released" || outcome === "modified")) {
      setImmediate(() => this.store.push(address, sent, true));
    }
    const state = ctx.delivery?.remote_state as { error?: { description?: string } } | undefined;
    this.dispositions.push({
      address,
      messageId: ctx.delivery ? this.store.sentIds.get(ctx.delivery) : undefined,
      outcome,
      description: state?.error?.description,
    });
  }

  /** Cuts every client connection: `end` (FIN) or `destroy` (as if the router died). */
  dropConnections(how: "end" | "destroy" = "destroy"): void {
    for (const connection of this.connections) {
      const socket = (connection as unknown as { socket?: { end(): void; destroy(): void } })
        .socket;
      if (how === "end") socket?.end();
      else socket?.destroy();
      // rhea does not notice a socket we destroyed ourselves: forget its links here.
      this.forget(connection);
    }
    this.connections.clear();
  }

  /** Goes silent on every connection: no frames, no heartbeats (a hung router). */
  freeze(): void {
    for (const connection of this.connections) {
      const c = connection as unknown as {
        heartbeat_out?: NodeJS.Timeout;
        output: () => void;
        _write_frame: () => void;
        input: () => void;
      };
      if (c.heartbeat_out) clearTimeout(c.heartbeat_out);
      c.output = () => {};
      c._write_frame = () => {};
      c.input = () => {};
    }
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** Sender links the clients attached here so far (open or not). */
  get senderLinksAttached(): number {
    return this.incoming.size;
  }

  /** Target addresses of the clients' sender links now open here (one per cached sender). */
  get openSenderLinks(): string[] {
    return [...this.incoming]
      .filter((r) => r.is_open())
      .map((r) => String((r.target as { address?: unknown } | undefined)?.address ?? ""))
      .sort();
  }

  /** Stops listening and cuts all connections. */
  async stop(): Promise<void> {
    this.dropConnections("destroy");
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port (a restarted router). */
  async restart(): Promise<void> {
    await this.listen(this.port);
  }
}
