/**
 * Request/response over the mesh (router management, RPC-style services): one dynamic
 * reply receiver per client; each request carries reply-to and its message id, and the
 * reply is matched by correlation id (or message id, as some peers answer).
 */
import type { ManagedLink, MeshConnection } from "./connection.ts";
import { type ConnectionFailedError, RequestTimeoutError } from "./errors.ts";
import { decodeMeshMessage, type MeshMessage, type ReceivedMessage } from "./message.ts";
import {
  beginReceiverSession,
  generateUuid,
  type RheaConnection,
  type RheaReceiver,
} from "./rhea-types.ts";

export interface RequestOptions {
  /** How long to wait for the reply (default 10 s). */
  timeoutMs?: number;
}

/** Credit kept open on the reply link. */
const REPLY_CREDIT = 100;

interface Waiting {
  address: string;
  resolve: (reply: ReceivedMessage) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class ReplyReceiver implements ManagedLink {
  private readonly connection: MeshConnection;
  private link: RheaReceiver | undefined;
  private url: string | undefined;
  private replyAddress: string | undefined;
  private readyWaiters: Array<{ resolve: (address: string) => void; reject: (e: Error) => void }> =
    [];
  private readonly waiting = new Map<string, Waiting>();
  private closed = false;

  constructor(connection: MeshConnection) {
    this.connection = connection;
    connection.register(this);
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
    const replyTo = await this.replyAddressReady();
    const messageId = message.messageId ?? generateUuid();
    const timeoutMs = options.timeoutMs ?? 10_000;
    const reply = new Promise<ReceivedMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(messageId);
        reject(
          new RequestTimeoutError({
            address,
            url: this.url,
            messageId,
            timeoutMs,
            reason: "timeout",
          }),
        );
      }, timeoutMs);
      this.waiting.set(messageId, { address, resolve, reject, timer });
    });
    try {
      await send({ ...message, messageId, replyTo });
    } catch (error) {
      const waiting = this.waiting.get(messageId);
      if (waiting) clearTimeout(waiting.timer);
      this.waiting.delete(messageId);
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
      if (typeof address !== "string") return;
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
      const key = reply.correlationId ?? reply.messageId;
      const waiting = key === undefined ? undefined : this.waiting.get(key);
      if (!waiting || key === undefined) return;
      this.waiting.delete(key);
      clearTimeout(waiting.timer);
      waiting.resolve(reply);
    });
    link.on("receiver_error", () => {});
    session.on("session_error", () => {});
  }

  connectionLost(): void {
    this.link?.removeAllListeners();
    this.link = undefined;
    this.replyAddress = undefined;
    for (const [messageId, waiting] of this.waiting) {
      clearTimeout(waiting.timer);
      waiting.reject(
        new RequestTimeoutError({
          address: waiting.address,
          url: this.url,
          messageId,
          timeoutMs: 0,
          reason: "connection-lost",
        }),
      );
    }
    this.waiting.clear();
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

  private replyAddressReady(): Promise<string> {
    if (this.replyAddress !== undefined) return Promise.resolve(this.replyAddress);
    return new Promise((resolve, reject) => {
      this.readyWaiters.push({ resolve, reject });
      this.connection.ensureConnecting();
    });
  }
}
