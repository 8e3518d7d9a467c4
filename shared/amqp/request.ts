/**
 * Request/response over the mesh (router management, RPC-style services): one dynamic
 * reply receiver per client; each request carries reply-to and a correlation id, and the
 * reply is matched by its correlation id. qdrouterd's and skupper-router's management
 * agents (`agent.py` `respond()`) copy only the request's correlation id into the reply, so
 * a request must set it; the message id is set to the same value.
 *
 * Every request settles exactly once: with the reply, or with a typed error (the publish's
 * own error, RequestTimeoutError for no reply in time or a lost connection, LinkRefusedError
 * when the router refuses the reply receiver). Nothing is left to an unhandled rejection.
 */
import { z } from "zod";
import type { ManagedLink, MeshConnection } from "./connection.ts";
import { type ConnectionFailedError, LinkRefusedError, RequestTimeoutError } from "./errors.ts";
import { parseOptions, timeLimitMs } from "./limits.ts";
import { decodeMeshMessage, type MeshMessage, type ReceivedMessage } from "./message.ts";
import {
  beginReceiverSession,
  generateUuid,
  type RheaConnection,
  type RheaReceiver,
} from "./rhea-types.ts";

export const requestOptionsSchema = z.object({
  /** How long to wait for the reply (default 10 s). */
  timeoutMs: timeLimitMs().default(10_000),
});
export type RequestOptions = z.input<typeof requestOptionsSchema>;

/** Credit kept open on the reply link. */
const REPLY_CREDIT = 100;

interface Waiting {
  address: string;
  resolve: (reply: ReceivedMessage) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface ReadyWaiter {
  resolve: (address: string) => void;
  reject: (e: Error) => void;
}

export class ReplyReceiver implements ManagedLink {
  private readonly connection: MeshConnection;
  private link: RheaReceiver | undefined;
  private url: string | undefined;
  private replyAddress: string | undefined;
  private readyWaiters: ReadyWaiter[] = [];
  private readonly waiting = new Map<string, Waiting>();
  private closed = false;

  constructor(connection: MeshConnection) {
    this.connection = connection;
    connection.register(this);
  }

  /** Requests still waiting for their reply (for tests and leak checks). */
  get pending(): number {
    return this.waiting.size;
  }

  /**
   * Sends `message` to `address` with `send` (the client's publish) and resolves with the
   * reply. The reply address is only valid on this connection: a reconnect fails pending
   * requests (reason `connection-lost`) rather than leaving them to time out.
   */
  async request(
    address: string,
    message: MeshMessage,
    options: RequestOptions,
    send: (message: MeshMessage) => Promise<unknown>,
  ): Promise<ReceivedMessage> {
    const { timeoutMs } = parseOptions(
      requestOptionsSchema,
      options,
      `request options for "${address}"`,
    );
    const replyTo = await this.replyAddressReady();
    const correlationId = message.correlationId ?? message.messageId ?? generateUuid();
    const messageId = message.messageId ?? correlationId;
    const reply = new Promise<ReceivedMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(correlationId);
        reject(
          new RequestTimeoutError({
            address,
            url: this.url,
            messageId: correlationId,
            timeoutMs,
            reason: "timeout",
          }),
        );
      }, timeoutMs);
      this.waiting.set(correlationId, { address, resolve, reject, timer });
    });
    // The reply may fail (timeout, connection lost) while the publish is still being
    // settled; it is awaited below, but must not count as unhandled meanwhile.
    reply.catch(() => undefined);
    try {
      await send({ ...message, messageId, correlationId, replyTo });
    } catch (error) {
      this.forget(correlationId);
      throw error;
    }
    return reply;
  }

  attach(connection: RheaConnection, url: string): void {
    if (this.closed) return;
    this.url = url;
    const session = beginReceiverSession(connection);
    const link = session.attach_receiver({
      source: { dynamic: true },
      credit_window: 0,
      autoaccept: false,
    });
    this.link = link;
    link.on("receiver_open", () => {
      if (this.link !== link) return;
      const address = (link as unknown as { source?: { address?: unknown } }).source?.address;
      if (typeof address !== "string") {
        this.refused(link, "the router gave the dynamic reply receiver no address");
        return;
      }
      this.replyAddress = address;
      link.add_credit(REPLY_CREDIT);
      for (const waiter of this.readyWaiters.splice(0)) waiter.resolve(address);
    });
    link.on("message", (ctx) => {
      if (this.link !== link || !ctx.delivery || !ctx.message) return;
      ctx.delivery.accept();
      link.add_credit(1);
      let reply: ReceivedMessage;
      try {
        reply = decodeMeshMessage(ctx.message);
      } catch {
        return;
      }
      const key = reply.correlationId;
      const waiting = key === undefined ? undefined : this.waiting.get(key);
      if (!waiting || key === undefined) return;
      this.waiting.delete(key);
      clearTimeout(waiting.timer);
      waiting.resolve(reply);
    });
    link.on("receiver_error", () => {});
    // The router refused the reply receiver, or detached it later: whoever waits for a
    // reply on it would never get one.
    link.on("receiver_close", () => {
      if (this.link !== link) return;
      const error = (link as unknown as { error?: { condition?: unknown; description?: unknown } })
        .error;
      this.refused(
        link,
        typeof error?.description === "string" ? error.description : undefined,
        typeof error?.condition === "string" ? error.condition : undefined,
      );
    });
    session.on("session_error", () => {});
  }

  connectionLost(): void {
    this.link?.removeAllListeners();
    this.link = undefined;
    this.replyAddress = undefined;
    this.failWaiting(
      (messageId, waiting) =>
        new RequestTimeoutError({
          address: waiting.address,
          url: this.url,
          messageId,
          timeoutMs: 0,
          reason: "connection-lost",
        }),
    );
  }

  connectionFailed(error: ConnectionFailedError): void {
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(error);
  }

  close(): void {
    this.closed = true;
    this.connectionLost();
    for (const waiter of this.readyWaiters.splice(0)) {
      waiter.reject(new Error("the AMQP client was closed"));
    }
    this.connection.unregister(this);
  }

  /** The reply link is gone on this connection: fail its waiters; the next request attaches anew. */
  private refused(link: RheaReceiver, description?: string, condition?: string): void {
    link.removeAllListeners();
    link.on("receiver_error", () => {});
    if (link.is_open()) link.close();
    this.link = undefined;
    this.replyAddress = undefined;
    const error = (address: string): LinkRefusedError =>
      new LinkRefusedError({ address, url: this.url, role: "receiver", condition, description });
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(error("(dynamic reply-to)"));
    this.failWaiting((_id, waiting) => error(`reply-to for ${waiting.address}`));
  }

  private failWaiting(errorFor: (messageId: string, waiting: Waiting) => Error): void {
    for (const [messageId, waiting] of this.waiting) {
      clearTimeout(waiting.timer);
      waiting.reject(errorFor(messageId, waiting));
    }
    this.waiting.clear();
  }

  private forget(correlationId: string): void {
    const waiting = this.waiting.get(correlationId);
    if (waiting) clearTimeout(waiting.timer);
    this.waiting.delete(correlationId);
  }

  private replyAddressReady(): Promise<string> {
    if (this.replyAddress !== undefined) return Promise.resolve(this.replyAddress);
    return new Promise((resolve, reject) => {
      this.readyWaiters.push({ resolve, reject });
      if (this.link === undefined) this.connection.reattach(this);
    });
  }
}
