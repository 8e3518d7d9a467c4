/**
 * MeshClient: the one way the rest of amqp-mesh reaches AMQP. Connects lazily on first use,
 * owns reconnect and failover, caches senders per address. getSharedClient() gives one
 * client per process and config so warm function invocations reuse the connection.
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
import { type ConsumeOptions, Consumer, type MessageHandler } from "./consume.ts";
import { ClientClosedError } from "./errors.ts";
import { graceMsSchema, parseOptions } from "./limits.ts";
import type { MeshMessage, ReceivedMessage } from "./message.ts";
import {
  type PublishOptions,
  type PublishResult,
  publishMessage,
  startPublish,
} from "./publish.ts";
import { ReplyReceiver, type RequestOptions } from "./request.ts";
import { SenderPool } from "./sender-pool.ts";

export interface MeshClientOptions {
  /** Receives one line per connection event; never sees secrets. */
  log?: (line: string) => void;
}

export class MeshClient {
  readonly config: MeshClientConfig;
  private readonly connection: MeshConnection;
  private readonly senders: SenderPool;
  private readonly consumers = new Set<Consumer>();
  private replies: ReplyReceiver | undefined;
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
  toJSON(): { config: MeshClientConfig; status: MeshClient["status"] } {
    return { config: this.describe(), status: this.status };
  }

  /** What console.log and util.inspect show: the same as toJSON, never a secret. */
  [inspect.custom](): unknown {
    return { MeshClient: this.toJSON() };
  }

  /** Connection state, and what the client holds: sender links cached, consumers running. */
  get status(): {
    state: ConnectionState;
    url: string | undefined;
    connections: number;
    senders: number;
    consumers: number;
  } {
    return {
      state: this.connection.state,
      url: this.connection.url,
      connections: this.connection.openCount,
      senders: this.senders.size,
      consumers: this.consumers.size,
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
  publish(
    address: string,
    message: MeshMessage,
    options: PublishOptions = {},
  ): Promise<PublishResult> {
    if (this.closed) return Promise.reject(this.closedError(`publish to "${address}"`));
    return publishMessage(this.senders, address, message, options, this.config.publishDeadlineMs);
  }

  /**
   * Request/response (e.g. router management on `$management`): publishes with a dynamic
   * reply-to and resolves with the reply. Settles within `timeoutMs`: RequestTimeoutError
   * when no reply comes in time (or the request could not be sent in time), LinkRefusedError
   * when the router refuses the reply receiver, the publish's own errors otherwise.
   */
  request(
    address: string,
    message: MeshMessage,
    options: RequestOptions & PublishOptions = {},
  ): Promise<ReceivedMessage> {
    if (this.closed) return Promise.reject(this.closedError(`request to "${address}"`));
    this.replies ??= new ReplyReceiver(this.connection);
    return this.replies.request(address, message, options, (m, deadline) =>
      startPublish(
        this.senders,
        address,
        m,
        { ...options, deadline },
        this.config.publishDeadlineMs,
      ),
    );
  }

  /** Starts a consumer with an explicit credit window; stop() it to detach gracefully. */
  consume(address: string, handler: MessageHandler, options: ConsumeOptions = {}): Consumer {
    if (this.closed) throw this.closedError(`consume from "${address}"`);
    // A stopped consumer leaves the client: a long-lived client starting and stopping
    // consumers holds only the running ones.
    const consumer = new Consumer(this.connection, address, handler, options, (stopped) =>
      this.consumers.delete(stopped),
    );
    this.consumers.add(consumer);
    return consumer;
  }

  /**
   * Clean shutdown: stop consumers (their running handlers get up to `graceMs`), give
   * pending publishes up to `graceMs` to settle, then close links and the connection.
   */
  async close(graceMs = 2_000): Promise<void> {
    parseOptions(graceMsSchema, graceMs, "close() graceMs");
    if (this.closed) return;
    this.closed = true;
    forgetShared(this);
    await Promise.all([...this.consumers].map((c) => c.stop(graceMs)));
    this.consumers.clear();
    this.replies?.close();
    await this.senders.close(graceMs);
    await this.connection.close(graceMs);
  }

  private closedError(what: string): ClientClosedError {
    return new ClientClosedError(`${what}: the AMQP client is closed`);
  }
}

const shared = new Map<string, MeshClient>();

/**
 * The process-wide client for this config (keyed by a hash of the whole config, secrets
 * included). Create it outside the function handler; warm invocations reuse it.
 */
export function getSharedClient(
  config: MeshClientConfigInput,
  options: MeshClientOptions = {},
): MeshClient {
  const parsed = parseMeshClientConfig(config);
  const key = configKey(parsed);
  const existing = shared.get(key);
  if (existing && !existing.isClosed) return existing;
  const client = new MeshClient(parsed, options);
  shared.set(key, client);
  return client;
}

function forgetShared(client: MeshClient): void {
  for (const [key, value] of shared) if (value === client) shared.delete(key);
}
