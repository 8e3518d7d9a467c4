/**
 * A connector with role `route-container`: a real outgoing AMQP connection to a broker,
 * kept open while the connector exists and reconnected with back-off when it drops.
 */
import { readFileSync } from "node:fs";
import type { StoredEntity } from "../entities/entity-store.ts";
import { portNumber } from "../entities/schema.ts";
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
  /** Why the connector's password could not be read (the router's log line), if it could not. */
  secretError: string | undefined;
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
    this.secretError = undefined;
    if (typeof a.saslUsername === "string") {
      options.username = a.saslUsername;
      if (typeof a.saslPassword === "string") {
        const secret = resolveSecret(a.saslPassword);
        options.password = secret.password;
        if (secret.error !== undefined) {
          // As qdrouterd 1.19 and skupper-router 3.5 do: the error is logged, the connector
          // configured all the same, and it logs in with PLAIN and no password (the broker
          // refuses it) — never falling back to ANONYMOUS, which a broker may let in.
          this.secretError = secret.error;
          const mechanisms = this.container.sasl.client_mechanisms();
          mechanisms.enable_plain(a.saslUsername, "");
          options.sasl_mechanisms = mechanisms;
        }
      }
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
      if (context.error)
        this.lastError = describeError(context.error, `${options.host}:${options.port}`);
      if (wasConnected) this.reportDown();
      if (!this.#stopped) {
        this.#timer = setTimeout(() => this.start(), this.#delay);
        this.#delay = Math.min(this.#delay * 2, MAX_RECONNECT_DELAY_MS);
      }
    };
    connection.on("disconnected", guarded("broker disconnected", down));
    connection.on("connection_close", guarded("broker connection_close", down));
    // A refused login (SASL outcome) comes as a connection error before the disconnect.
    connection.on(
      "connection_error",
      guarded("broker connection_error", (context: { error?: unknown }) => {
        if (this.connection === connection && context.error)
          this.lastError = describeError(context.error, `${options.host}:${options.port}`);
      }),
    );
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
 * `file:/path` from a file, `literal:text` or anything else as it is. An unset variable is
 * the error qdrouterd 1.19 and skupper-router 3.5 log ("Not found: Failed to find a password
 * in the environment variable"), here with the variable's name.
 */
function resolveSecret(value: string): { password: string; error?: string } {
  if (value.startsWith("env:")) {
    const name = value.slice(4);
    const found = process.env[name];
    if (found === undefined)
      return {
        password: "",
        error: `Failed to find a password in the environment variable ${name}`,
      };
    return { password: found };
  }
  if (value.startsWith("file:")) {
    try {
      return { password: readFileSync(value.slice(5), "utf8").trim() };
    } catch {
      return { password: "" };
    }
  }
  if (value.startsWith("literal:")) return { password: value.slice(8) };
  return { password: value };
}

/** A broker connection's failure as the routers word it: condition and description. */
function describeError(error: unknown, where: string): string {
  const condition = (error as { condition?: unknown }).condition;
  const description = (error as { description?: unknown }).description;
  if (typeof condition === "string")
    return `Connection to ${where} failed: ${condition}${typeof description === "string" ? ` ${description}` : ""}`;
  return String(error);
}
