/**
 * One client listener of an emulated router: a real TCP (or TLS) server whose sockets are
 * AMQP connections handled by a dedicated rhea container (rhea keeps SASL mechanisms per
 * container, and a listener has its own). Sockets are tracked so that stopping a router
 * drops its clients' connections the way a dying process does.
 */
import type { Server, Socket } from "node:net";
import { patchRhea } from "../../shared/amqp/rhea-patches.ts";
import { guardFraming } from "./frame-guard.ts";
import { type Connection, dropSocket, rhea } from "./rhea-internals.ts";
import type { Users } from "./sasl.ts";
import { parseMechanisms, saslSetup } from "./sasl.ts";
import type { TlsServerOptions } from "./tls.ts";

type RheaContainer = ReturnType<typeof rhea.create_container>;

export interface ListenerSpec {
  routerId: string;
  host: string;
  port: number;
  saslMechanisms: unknown;
  authenticatePeer: boolean;
  users: Users;
  tls?: TlsServerOptions;
  /** qdrouterd's idleTimeoutSeconds (default 16; 0 = none). */
  idleTimeoutSeconds: number;
  /** The largest frame the router reads and announces (qdrouterd's default 16384). */
  maxFrameSize: number;
  /** The router's connection count (policy maxConnections), shared by its listeners. */
  admission?: { acquire(): boolean; release(): void };
}

const PRODUCT = { product: "qpid-dispatch-router", version: "1.19.0" };

export class OpenListener {
  readonly container: RheaContainer;
  /** Accepted TCP sockets, and under TLS the TLS sockets over them (rhea's own). */
  readonly #sockets = new Set<Socket>();
  readonly #secureSockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;

  readonly spec: ListenerSpec;
  constructor(spec: ListenerSpec) {
    this.spec = spec;
    // rhea's codec corrected before the first connection (its empty-list decoding above all:
    // the router writes into decoded termini).
    patchRhea();
    this.container = rhea.create_container({ id: spec.routerId });
    const sasl = saslSetup(parseMechanisms(spec.saslMechanisms), spec.authenticatePeer, spec.users);
    sasl.install(this.container.sasl_server_mechanisms);
    // A router never crashes on a peer's mistakes: rhea reports them as events.
    for (const event of ["error", "protocol_error", "connection_error", "session_error"]) {
      this.container.on(event, () => {});
    }
  }

  get tls(): boolean {
    return this.spec.tls !== undefined;
  }

  get url(): string {
    const host =
      this.spec.host === "" || this.spec.host === "0.0.0.0" ? "127.0.0.1" : this.spec.host;
    return `${this.tls ? "amqps" : "amqp"}://${host}:${this.port}`;
  }

  async open(): Promise<void> {
    const options = {
      host: this.spec.host === "" ? "0.0.0.0" : this.spec.host,
      port: this.spec.port,
      require_sasl: this.spec.authenticatePeer,
      // Routers disable Nagle: small transfers and dispositions must not wait 40 ms.
      tcp_no_delay: true,
      // Like proton: announce half the time-out, drop a peer silent for the whole of it.
      idle_time_out: (this.spec.idleTimeoutSeconds * 1000) / 2,
      max_frame_size: this.spec.maxFrameSize,
      properties: PRODUCT,
      // Every link the router answers is managed by hand: credit and settlement.
      receiver_options: { autoaccept: false, credit_window: 0 },
      sender_options: { autosettle: true, treat_modified_as_released: false },
      ...(this.spec.tls ?? {}),
    };
    const server = this.container.listen(options as Parameters<RheaContainer["listen"]>[0]);
    this.#server = server;
    // Runs after rhea's own handler: the guard takes rhea's reader and feeds it.
    server.on(this.tls ? "secureConnection" : "connection", (socket: Socket) => {
      if (!socket.destroyed) guardFraming(socket, this.spec.maxFrameSize);
    });
    // Before everything else: a socket beyond the router's connection limit is closed at
    // once (rhea then only sees a dead socket).
    const admission = this.spec.admission;
    if (admission) {
      server.prependListener("connection", (socket: Socket) => {
        if (!admission.acquire()) {
          socket.on("error", () => {});
          socket.destroy();
          return;
        }
        socket.once("close", () => admission.release());
      });
    }
    // The raw TCP socket, also under TLS: destroying it drops the client at once.
    server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      // Under TLS rhea never sees this socket: dropping it must not be an unhandled error.
      socket.on("error", () => {});
      socket.on("close", () => this.#sockets.delete(socket));
    });
    if (this.tls) {
      server.on("secureConnection", (socket: Socket) => {
        this.#secureSockets.add(socket);
        socket.on("close", () => this.#secureSockets.delete(socket));
      });
    }
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error): void => reject(error);
      server.once("error", fail);
      server.once("listening", () => {
        server.off("error", fail);
        server.on("error", () => {});
        const address = server.address();
        this.port = typeof address === "object" && address !== null ? address.port : 0;
        resolve();
      });
    });
  }

  /**
   * Stops accepting connections. With `dropClients` (a stopping router) every client
   * socket is destroyed too, without an AMQP close, like a crash; without it (a listener
   * deleted through management) established connections stay, as in qdrouterd.
   */
  async close(dropClients = true): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (dropClients) {
      // rhea's sockets first, so that its connections see the drop and disarm their timers.
      for (const socket of this.#secureSockets) dropSocket(socket);
      for (const socket of this.#sockets) dropSocket(socket);
      this.#secureSockets.clear();
      this.#sockets.clear();
    }
    if (!server) return;
    // server.close waits for open connections; the caller need not.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    if (dropClients) await closed;
  }

  onConnection(handler: (connection: Connection) => void): void {
    this.container.on("connection_open", (context: { connection: Connection }) =>
      handler(context.connection),
    );
  }
}
