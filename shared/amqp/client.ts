/**
 * MeshClient: the one way the rest of amqp-mesh reaches AMQP. A MeshPublisher (connects
 * lazily on first use, owns reconnect and failover, caches senders per address) that also
 * consumes and makes requests. getSharedClient() gives one client per process and config so
 * warm function invocations reuse the connection.
 */
import type { MeshClientConfigInput } from "./config.ts";
import { type ConsumeOptions, Consumer, type MessageHandler } from "./consume.ts";
import type { MeshMessage, ReceivedMessage } from "./message.ts";
import { type PublishOptions, startPublish } from "./publish.ts";
import {
  type MeshClientOptions,
  type MeshClientStatus,
  MeshPublisher,
  sharedFor,
} from "./publisher.ts";
import { ReplyReceiver, type RequestOptions } from "./request.ts";

export type { MeshClientOptions } from "./publisher.ts";

export class MeshClient extends MeshPublisher {
  private readonly consumers = new Set<Consumer>();
  private replies: ReplyReceiver | undefined;

  protected override get kind(): string {
    return "MeshClient";
  }

  override get status(): MeshClientStatus {
    return { ...super.status, consumers: this.consumers.size };
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
    if (this.isClosed) return Promise.reject(this.closedError(`request to "${address}"`));
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

  /**
   * Starts a consumer with an explicit credit window; stop() it to detach gracefully. It
   * attaches to `address`, or to what `consumerAddresses` maps it to.
   */
  consume(address: string, handler: MessageHandler, options: ConsumeOptions = {}): Consumer {
    if (this.isClosed) throw this.closedError(`consume from "${address}"`);
    // A stopped consumer leaves the client: a long-lived client starting and stopping
    // consumers holds only the running ones.
    // A broker channel on skupper-router is read from its queue's outlet (consumerAddresses).
    const source = Object.hasOwn(this.config.consumerAddresses ?? {}, address)
      ? this.config.consumerAddresses![address]!
      : address;
    const consumer = new Consumer(
      this.connection,
      address,
      handler,
      options,
      (stopped) => this.consumers.delete(stopped),
      source,
    );
    this.consumers.add(consumer);
    return consumer;
  }

  /** close() stops the consumers first (their running handlers get up to `graceMs`). */
  protected override async stopUsers(graceMs: number): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop(graceMs)));
    this.consumers.clear();
    this.replies?.close();
  }
}

/**
 * The process-wide client for this config (keyed by a hash of the whole config, secrets
 * included). Create it outside the function handler; warm invocations reuse it.
 */
export function getSharedClient(
  config: MeshClientConfigInput,
  options: MeshClientOptions = {},
): MeshClient {
  return sharedFor(
    config,
    (existing): existing is MeshClient => existing instanceof MeshClient,
    (parsed) => new MeshClient(parsed, options),
  );
}
