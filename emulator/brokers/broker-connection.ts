/**
 * A connector with role `route-container`: a real outgoing AMQP connection to a broker,
 * kept open while the connector exists and reconnected with back-off when it drops.
 */
import { readFileSync } from "node:fs";
import type { StoredEntity } from "../management/agent.ts";
import { portNumber } from "../management/schema.ts";
import { type Connection, dropSocket, guarded, type rhea } from "../protocol/rhea-internals.ts";
import { WatchedConnector } from "./auto-link-binding.ts";

export type RheaContainer = ReturnType<typeof rhea.create_container>;

/** Reconnect back-off: 200 ms, doubling up to 5 s; reset once a connection opens. */
const RECONNECT_DELAY_MS = 200;
const MAX_RECONNECT_DELAY_MS = 5_000;

/** One connector: a broker connection kept open while the connector exists. */
export class BrokerConnection extends WatchedConnector {
  connection: Connection | undefined;
  connected = false;
  lastError: string | undefined;
  remoteContainer: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #delay = RECONNECT_DELAY_MS;

  readonly entity: StoredEntity;
  private readonly container: RheaContainer;
  constructor(entity: StoredEntity, container: RheaContainer) {
    super();
    this.entity = entity;
    this.container = container;
  }

  get name(): string {
    return String(this.entity.attributes.name);
  }

  start(): void {
    const a = this.entity.attributes;
    const options: Record<string, unknown> = {
      host: String(a.host || "127.0.0.1"),
      port: portNumber(a.port),
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
        this.reportUp();
      }),
    );
    const down = (context: { error?: unknown }): void => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      const wasConnected = this.connected;
      this.connected = false;
      if (context.error) this.lastError = String(context.error);
      if (wasConnected) this.reportDown();
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

  /**
   * Ends the connector: no more reconnects, an AMQP close to the broker, and the socket
   * dropped once the broker answered or after a short grace — never left for the broker
   * to close, so nothing of it outlives the router.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const connection = this.connection;
    this.connection = undefined;
    this.connected = false;
    this.reportDown(true);
    if (connection) await closeWithGrace(connection, CLOSE_GRACE_MS);
  }
}

/** How long a stopping connector waits for the broker's close before dropping the socket. */
const CLOSE_GRACE_MS = 100;

async function closeWithGrace(connection: Connection, graceMs: number): Promise<void> {
  const socket = (connection as { socket?: { destroy(error?: Error): void } }).socket;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, graceMs);
    connection.once("connection_close", done);
    connection.once("disconnected", done);
    try {
      connection.close();
    } catch {
      done();
    }
  });
  dropSocket(socket);
}

/**
 * Connector passwords as qdrouterd reads them: `env:NAME` from the environment,
 * `file:/path` from a file, `literal:text` or anything else as it is.
 */
function resolveSecret(value: string): string {
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
