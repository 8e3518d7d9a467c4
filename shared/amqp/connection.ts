/**
 * One AMQP connection to the first reachable edge router, owned end to end: rhea's own
 * reconnect is off; on loss we fail over to the next url with backoff and jitter, open a
 * fresh rhea connection and ask every registered link to attach again. Links registered
 * while reconnecting simply attach when the next connection opens (the rhea pitfall of
 * links opened during reconnect cannot occur: we never reuse a dead connection's objects).
 */
import { isIP } from "node:net";
import { backoffDelay } from "./backoff.ts";
import { loadPem, type MeshClientConfig, redactUrl } from "./config.ts";
import { connectionFailure, connectTimeout, type Login } from "./connection-failure.ts";
import {
  ClientClosedError,
  ConfigError,
  ConnectionFailedError,
  type ConnectionFailureCause,
  conditionText,
} from "./errors.ts";
import {
  amqpErrorFields,
  type Connection,
  type ConnectionOptions,
  createContainer,
  type EventContext,
  saslMechanisms,
} from "./rhea.ts";
import { coalesceWrites } from "./rhea-patches.ts";

/** Something that lives on the connection and must be rebuilt after every reconnect. */
export interface ManagedLink {
  /** A connection opened (first time or after a reconnect): create the rhea link on it. */
  attach(connection: Connection, url: string): void;
  /** The connection the link was on is gone; drop its rhea objects, keep pending work. */
  connectionLost(): void;
  /** The reconnect budget is exhausted: fail whatever waits. */
  connectionFailed(error: ConnectionFailedError): void;
}

/** How long a connection must have been open for its loss to reset the backoff. */
const STABLE_CONNECTION_MS = 1_000;

export type ConnectionState = "idle" | "connecting" | "open" | "closed";

export class MeshConnection {
  private readonly config: MeshClientConfig;
  private readonly container: ReturnType<typeof createContainer>;
  private readonly links = new Set<ManagedLink>();
  /** Re-attaches links asked for after a detach; any attach of the link cancels its own. */
  private readonly reattachTimers = new Map<ManagedLink, NodeJS.Timeout>();
  private readonly onLog: ((message: string) => void) | undefined;
  private stateValue: ConnectionState = "idle";
  private current: Connection | undefined;
  private currentUrl: string | undefined;
  private urlIndex = 0;
  private failedAttempts = 0;
  /** Urls whose last attempt failed for a final cause; when every url has, retrying stops. */
  private readonly finalFailures = new Map<string, ConnectionFailureCause>();
  private openedAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private openWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  /** Connections opened so far; tests and logs use it to see reconnects. */
  openCount = 0;

  constructor(config: MeshClientConfig, onLog?: (message: string) => void) {
    this.config = config;
    this.onLog = onLog;
    this.container = createContainer(config.containerId);
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The router url in use (credentials stripped), when open. */
  get url(): string | undefined {
    return this.stateValue === "open" && this.currentUrl ? redactUrl(this.currentUrl) : undefined;
  }

  /** Registers a link; it attaches now if open, or when the (lazily started) connection opens. */
  register(link: ManagedLink): void {
    this.links.add(link);
    this.reattach(link);
  }

  /** Attaches a registered link whose rhea link is gone: now if open, else when it opens. */
  reattach(link: ManagedLink): void {
    this.cancelReattach(link);
    if (this.stateValue === "open" && this.current && this.currentUrl) {
      link.attach(this.current, redactUrl(this.currentUrl));
    } else {
      this.ensureConnecting();
    }
  }

  unregister(link: ManagedLink): void {
    this.cancelReattach(link);
    this.links.delete(link);
  }

  /**
   * Runs `due` (which calls reattach() or gives the link up) after a backoff, unless the link
   * is attached before: a (re)connect attaches every registered link, and the re-attach of a
   * link that lost its connection meanwhile would be a second one.
   */
  reattachLater(link: ManagedLink, delayMs: number, due: () => void): void {
    this.cancelReattach(link);
    const timer = setTimeout(() => {
      this.reattachTimers.delete(link);
      due();
    }, delayMs);
    this.reattachTimers.set(link, timer);
  }

  cancelReattach(link: ManagedLink): void {
    const timer = this.reattachTimers.get(link);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.reattachTimers.delete(link);
  }

  /** A connection or link event worth a log line; never carries a secret. */
  log(message: string): void {
    this.onLog?.(message);
  }

  /** Resolves once a connection is open (connecting lazily); rejects when the budget runs out. */
  waitOpen(): Promise<void> {
    if (this.stateValue === "open") return Promise.resolve();
    if (this.stateValue === "closed") {
      return Promise.reject(new ClientClosedError("the AMQP client is closed"));
    }
    return new Promise((resolve, reject) => {
      this.openWaiters.push({ resolve, reject });
      this.ensureConnecting();
    });
  }

  ensureConnecting(): void {
    if (this.stateValue !== "idle") return;
    this.stateValue = "connecting";
    this.failedAttempts = 0;
    this.attempt();
  }

  /** Closes the connection cleanly (close frame, then socket), waiting at most `graceMs`. */
  async close(graceMs = 2_000): Promise<void> {
    if (this.stateValue === "closed") return;
    this.stateValue = "closed";
    this.clearTimers();
    const failure = new ClientClosedError("the AMQP client was closed while connecting");
    for (const waiter of this.openWaiters.splice(0)) waiter.reject(failure);
    const connection = this.current;
    this.current = undefined;
    if (!connection) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, graceMs);
      connection.removeAllListeners();
      connection.on("error", () => {});
      connection.on("connection_close", done);
      connection.on("disconnected", done);
      if (connection.is_open()) connection.close();
      else done();
    });
    connection.removeAllListeners();
    connection.on("error", () => {});
    connection.socket?.destroy();
  }

  private attempt(): void {
    if (this.stateValue !== "connecting") return;
    const url = this.config.urls[this.urlIndex % this.config.urls.length] ?? "";
    const where = hostPort(url);
    const login = this.loginOf(url);
    let connection: Connection;
    try {
      connection = this.container.connect(this.connectOptions(url));
      coalesceWrites(connection);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      // A bad config (unreadable PEM file) will not heal by retrying.
      if (error instanceof ConfigError) {
        this.giveUp(redactUrl(url), { kind: "config", reason, final: true });
        return;
      }
      this.failed(undefined, url, { kind: "other", reason, final: false });
      return;
    }
    this.current = connection;
    this.connectTimer = setTimeout(
      () => this.failed(connection, url, connectTimeout(this.config.connectTimeoutMs, where)),
      this.config.connectTimeoutMs,
    );
    // rhea reports a SASL outcome as the context's error (its transport error), a close by the
    // router as connection.error, a socket or TLS failure as the Error of `disconnected`.
    const overTls = url.startsWith("amqps:") || this.config.tls !== undefined;
    const cause = (error: unknown) =>
      connectionFailure(
        error ?? connection.error,
        where,
        login,
        overTls && this.stateValue === "connecting",
      );
    connection.on("connection_open", () => this.opened(connection, url));
    connection.on("disconnected", (ctx: EventContext) =>
      this.failed(connection, url, cause(ctx.error)),
    );
    connection.on("connection_error", (ctx: EventContext) =>
      this.failed(connection, url, cause(ctx.error)),
    );
    connection.on("connection_close", (ctx: EventContext) =>
      this.failed(connection, url, cause(ctx.error)),
    );
    connection.on("protocol_error", (ctx: EventContext) =>
      this.failed(connection, url, {
        kind: "other",
        reason: `protocol error: ${describe(ctx.error ?? ctx)}`,
        final: false,
      }),
    );
    connection.on("error", (ctx: EventContext) =>
      this.failed(connection, url, cause(ctx.error ?? ctx)),
    );
  }

  /** The mechanism and user name an attempt on `url` logs in with (as connectOptions does). */
  private loginOf(url: string): Login {
    const { sasl } = this.config;
    let username = sasl.username;
    let password = sasl.password;
    try {
      const parsed = new URL(url);
      username ??= parsed.username ? decodeURIComponent(parsed.username) : undefined;
      password ??= parsed.password ? "given" : undefined;
    } catch {
      // validated at config time; nothing more to learn here
    }
    const mechanism =
      sasl.mechanism === "ANONYMOUS" && password !== undefined ? "PLAIN" : sasl.mechanism;
    return { mechanism, username: mechanism === "PLAIN" ? username : undefined };
  }

  private opened(connection: Connection, url: string): void {
    if (connection !== this.current || this.stateValue !== "connecting") return;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.stateValue = "open";
    this.currentUrl = url;
    this.openedAt = Date.now();
    this.openCount++;
    this.finalFailures.clear();
    const safeUrl = redactUrl(url);
    this.log(`amqp: connected to ${safeUrl}`);
    for (const waiter of this.openWaiters.splice(0)) waiter.resolve();
    for (const link of [...this.links]) {
      this.cancelReattach(link);
      link.attach(connection, safeUrl);
    }
  }

  /**
   * The attempt failed or the open connection was lost: drop it and try the next url, or give
   * up once every url failed for a final cause (a refused login, a policy denial): every retry
   * would be refused the same way.
   */
  private failed(
    connection: Connection | undefined,
    url: string,
    failure: ConnectionFailureCause,
  ): void {
    const reason = failure.reason;
    if (connection !== undefined && connection !== this.current) return;
    if (this.stateValue === "closed") return;
    const wasOpen = this.stateValue === "open";
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.current = undefined;
    this.currentUrl = undefined;
    if (connection) discard(connection);
    const safeUrl = redactUrl(url);
    this.log(`amqp: ${wasOpen ? "lost" : "could not connect to"} ${safeUrl}: ${reason}`);
    if (wasOpen) {
      for (const link of [...this.links]) {
        this.cancelReattach(link);
        link.connectionLost();
      }
    }
    this.stateValue = "connecting";
    this.urlIndex = (this.urlIndex + 1) % this.config.urls.length;
    // A connection that lived a while resets the backoff and fails over at once; one that
    // drops right after open counts as a failed attempt, so a flapping router is no hot loop.
    const stable = wasOpen && Date.now() - this.openedAt >= STABLE_CONNECTION_MS;
    this.failedAttempts = stable ? 0 : this.failedAttempts + 1;
    const { initialDelayMs, maxDelayMs, maxAttempts } = this.config.reconnect;
    if (failure.final) this.finalFailures.set(safeUrl, failure);
    if (this.finalFailures.size === new Set(this.config.urls.map(redactUrl)).size) {
      this.giveUp(safeUrl, failure);
      return;
    }
    if (maxAttempts !== undefined && this.failedAttempts > maxAttempts) {
      this.giveUp(safeUrl, failure);
      return;
    }
    const delay = stable ? 0 : backoffDelay(this.failedAttempts - 1, initialDelayMs, maxDelayMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.attempt();
    }, delay);
  }

  private giveUp(lastUrl: string, failure: ConnectionFailureCause): void {
    this.stateValue = "idle";
    this.finalFailures.clear();
    const error = new ConnectionFailedError(
      failure.final
        ? `cannot connect to ${lastUrl}: ${failure.reason} (${failure.kind}: final, not retried)`
        : `no AMQP router reachable after ${this.failedAttempts} attempt(s) over ${this.config.urls.map(redactUrl).join(", ")}; last: ${lastUrl}: ${failure.reason}`,
      { url: lastUrl, failure },
    );
    this.log(`amqp: ${error.message}`);
    for (const waiter of this.openWaiters.splice(0)) waiter.reject(error);
    for (const link of [...this.links]) link.connectionFailed(error);
  }

  private clearTimers(): void {
    for (const timer of this.reattachTimers.values()) clearTimeout(timer);
    this.reattachTimers.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.retryTimer = undefined;
    this.connectTimer = undefined;
  }

  private connectOptions(url: string): ConnectionOptions {
    const parsed = new URL(url);
    const secure = parsed.protocol === "amqps:";
    const { tls, sasl } = this.config;
    const username =
      sasl.username ?? (parsed.username ? decodeURIComponent(parsed.username) : undefined);
    const password =
      sasl.password ?? (parsed.password ? decodeURIComponent(parsed.password) : undefined);
    const mechanism =
      sasl.mechanism === "ANONYMOUS" && password !== undefined ? "PLAIN" : sasl.mechanism;
    const options: Record<string, unknown> = {
      host: parsed.hostname,
      port: parsed.port ? Number(parsed.port) : secure ? 5671 : 5672,
      hostname: parsed.hostname,
      reconnect: false,
      idle_time_out: this.config.idleTimeoutMs,
      tcp_no_delay: true,
      sasl_mechanisms: saslMechanisms({ mechanism, username }, password),
    };
    if (this.config.containerId !== undefined) options.container_id = this.config.containerId;
    if (secure || tls !== undefined) {
      options.transport = "tls";
      // SNI takes host names only; for an IP address the certificate is checked against it.
      const servername = tls?.servername ?? (isIP(parsed.hostname) ? undefined : parsed.hostname);
      if (servername !== undefined) options.servername = servername;
      options.rejectUnauthorized = tls?.rejectUnauthorized ?? true;
      const ca = loadPem(tls?.ca, "ca");
      const cert = loadPem(tls?.cert, "cert");
      const key = loadPem(tls?.key, "key");
      if (ca !== undefined) options.ca = [ca];
      if (cert !== undefined) options.cert = cert;
      if (key !== undefined) options.key = key;
      if (tls?.passphrase !== undefined) options.passphrase = tls.passphrase;
    }
    // rhea types its options per transport (net or tls); built here as one set of fields.
    return options as unknown as ConnectionOptions;
  }
}

/** Silences and tears down a rhea connection we no longer use. */
function discard(connection: Connection): void {
  connection.removeAllListeners();
  connection.on("error", () => {});
  // Unheard, rhea prints a late socket error (with its stack) to the console itself.
  connection.on("disconnected", () => {});
  connection.socket?.destroy();
}

/** host:port of a router url, for the cause of a failure (no user name, no password). */
function hostPort(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || (parsed.protocol === "amqps:" ? 5671 : 5672)}`;
  } catch {
    return "(the router)";
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error === undefined) return "connection closed";
  const fields = amqpErrorFields(error);
  return fields.condition || fields.description ? conditionText(fields) : String(error);
}
