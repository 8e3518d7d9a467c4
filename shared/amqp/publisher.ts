/**
 * MeshPublisher: what a client that only publishes needs — the connection (lazy, failover,
 * reconnect) and the cached senders. MeshClient adds consumers and request/response on top;
 * a function that only publishes (the ingress) builds a MeshPublisher, and its bundle leaves
 * the consumer and request code out (~14 KB of ~250). getSharedPublisher() gives one per
 * process and config, so warm invocations reuse the connection.
 */
import { inspect } from "node:util";
import {
  configKey,
  type MeshClientConfig,
  type MeshClientConfigInput,
  parseMeshClientConfig,
  redactConfig,
} from "./config.ts";
import { type ConnectionState, MeshConnection } from "./connection.ts";
import { ClientClosedError } from "./errors.ts";
import { graceMsSchema, parseOptions } from "./limits.ts";
import type { MeshMessage } from "./message.ts";
import { type PublishOptions, type PublishResult, publishMessage } from "./publish.ts";
import { SenderPool } from "./sender-pool.ts";

export interface MeshClientOptions {
  /** Receives one line per connection event; never sees secrets. */
  log?: (line: string) => void;
}

/** Connection state, and what the client holds: sender links cached, consumers running. */
export interface MeshClientStatus {
  state: ConnectionState;
  url: string | undefined;
  connections: number;
  senders: number;
  consumers: number;
}

export class MeshPublisher {
  readonly config: MeshClientConfig;
  protected readonly connection: MeshConnection;
  protected readonly senders: SenderPool;
  private closed = false;

  constructor(config: MeshClientConfigInput, options: MeshClientOptions = {}) {
    this.config = parseMeshClientConfig(config);
    this.connection = new MeshConnection(this.config, options.log);
    this.senders = new SenderPool(this.connection, this.config.senders);
  }

  /** The config with secrets redacted, for logs. */
  describe(): MeshClientConfig {
    return redactConfig(this.config);
  }

  /** What JSON.stringify shows: the redacted config and the status (`config` holds secrets). */
  toJSON(): { config: MeshClientConfig; status: MeshClientStatus } {
    return { config: this.describe(), status: this.status };
  }

  /** What console.log and util.inspect show: the same as toJSON, never a secret. */
  [inspect.custom](): unknown {
    return { [this.kind]: this.toJSON() };
  }

  /** The name console.log shows (class names do not survive a minifier). */
  protected get kind(): string {
    return "MeshPublisher";
  }

  get status(): MeshClientStatus {
    return {
      state: this.connection.state,
      url: this.connection.url,
      connections: this.connection.openCount,
      senders: this.senders.size,
      consumers: 0,
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Connects now instead of on first use (e.g. during a function's init phase). */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError("connect"));
    return this.connection.waitOpen();
  }

  /**
   * Publishes and resolves when the router accepted (at-least-once) or the presettled
   * transfer was handed over (at-most-once). Typed errors: PublishRejectedError,
   * BackPressureError, PublishTimeoutError, LinkRefusedError, ConnectionFailedError.
   */
  publish(address: string, message: MeshMessage, options?: PublishOptions): Promise<PublishResult> {
    if (this.closed) return Promise.reject(this.closedError(`publish to "${address}"`));
    return publishMessage(this.senders, address, message, options, this.config.publishDeadlineMs);
  }

  /**
   * Clean shutdown: stop what else runs on the connection (consumers get up to `graceMs` for
   * their running handlers), give pending publishes up to `graceMs` to settle, then close
   * links and the connection.
   */
  async close(graceMs = 2_000): Promise<void> {
    parseOptions(graceMsSchema, graceMs, "close() graceMs");
    if (this.closed) return;
    this.closed = true;
    forgetShared(this);
    await this.stopUsers(graceMs);
    await this.senders.close(graceMs);
    await this.connection.close(graceMs);
  }

  /** What runs on the connection besides the senders, stopped first by close(). */
  protected async stopUsers(_graceMs: number): Promise<void> {}

  protected closedError(what: string): ClientClosedError {
    return new ClientClosedError(`${what}: the AMQP client is closed`);
  }
}

const shared = new Map<string, MeshPublisher>();

/**
 * The process-wide client of this config (keyed by a hash of the whole config, secrets
 * included) that `accepts` takes, made by `create` when there is none yet (or it is closed).
 */
export function sharedFor<C extends MeshPublisher>(
  config: MeshClientConfigInput,
  accepts: (existing: MeshPublisher) => existing is C,
  create: (config: MeshClientConfig) => C,
): C {
  const parsed = parseMeshClientConfig(config);
  const key = configKey(parsed);
  const existing = shared.get(key);
  if (existing && !existing.isClosed && accepts(existing)) return existing;
  const client = create(parsed);
  shared.set(key, client);
  return client;
}

/**
 * The process-wide publisher for this config: the shared MeshClient of the same config when
 * there is one. Create it outside the function handler; warm invocations reuse it.
 */
export function getSharedPublisher(
  config: MeshClientConfigInput,
  options: MeshClientOptions = {},
): MeshPublisher {
  return sharedFor(
    config,
    (existing): existing is MeshPublisher => true,
    (parsed) => new MeshPublisher(parsed, options),
  );
}

function forgetShared(client: MeshPublisher): void {
  for (const [key, value] of shared) if (value === client) shared.delete(key);
}
