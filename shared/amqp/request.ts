/**
 * Request/response over the mesh (router management, RPC-style services): one dynamic
 * reply receiver per client; each request carries reply-to and a correlation id, and the
 * reply is matched by its correlation id. qdrouterd's and skupper-router's management
 * agents (`agent.py` `respond()`) copy only the request's correlation id into the reply, so
 * a request must set it; the message id is set to the same value.
 *
 * Every request settles exactly once, within its timeout: with the reply, or with a typed
 * error — RequestTimeoutError (no reply in time, also when the request could not be sent in
 * time; or the connection carrying the reply address was lost), LinkRefusedError (the
 * router refused or detached the reply receiver; the next request attaches a new one), the
 * publish's own error (rejected, refused address...), ClientClosedError. A request that
 * gave up is withdrawn from its sender: never sent, or resent after a reconnect, later.
 */
import * as z from "zod/mini";
import type { MeshConnection } from "./connection.ts";
import {
  BackPressureError,
  ClientClosedError,
  type ConnectionFailedError,
  NoConsumerError,
  NoRouteError,
  PublishTimeoutError,
  RequestTimeoutError,
} from "./errors.ts";
import { parseOptions, timeLimitMs } from "./limits.ts";
import { type DetachCause, LinkLifecycle, Waiters } from "./link-lifecycle.ts";
import { decodeMeshMessage, type MeshMessage, type ReceivedMessage } from "./message.ts";
import { publishOptionsSchema } from "./publish.ts";
import {
  attachedSource,
  beginReceiverSession,
  type Connection,
  type EventContext,
  generateUuid,
  type Receiver,
  type Session,
} from "./rhea.ts";

/** Built on first use (cold start). */
export const requestOptionsSchema = z.lazy(() =>
  z.object({
    /**
     * How long the whole request may take (default 10 s): waiting for the reply address,
     * sending (the publish deadline defaults to what is left of it) and the reply.
     */
    timeoutMs: z._default(timeLimitMs(), 10_000),
  }),
);
export type RequestOptions = z.input<typeof requestOptionsSchema>;

/** Credit kept open on the reply link. */
const REPLY_CREDIT = 100;

/** A publish the request can withdraw once it has settled. */
export interface RequestSend {
  result: Promise<unknown>;
  cancel(error: Error): void;
}

interface Waiting {
  address: string;
  resolve: (reply: ReceivedMessage) => void;
  reject: (error: Error) => void;
}

/** The publish gave up at its deadline: for a request, that is its own timeout. */
function isDeadlineError(error: unknown): error is Error {
  return (
    error instanceof BackPressureError ||
    error instanceof NoConsumerError ||
    error instanceof PublishTimeoutError ||
    error instanceof NoRouteError
  );
}

export class ReplyReceiver extends LinkLifecycle<Receiver> {
  private replyAddress: string | undefined;
  /** Requests waiting for the reply address. */
  private readonly replyTo = new Waiters<string>();
  private readonly waiting = new Map<string, Waiting>();
  private closed = false;

  constructor(connection: MeshConnection) {
    super(connection);
    connection.register(this);
  }

  /** Requests still waiting for their reply (for tests and leak checks). */
  get pending(): number {
    return this.waiting.size;
  }

  /**
   * Sends `message` to `address` with `send` (the client's publish, with a deadline) and
   * resolves with the reply. The reply address is only valid on this connection: a
   * reconnect fails pending requests (reason `connection-lost`) rather than leaving them to
   * time out.
   */
  request(
    address: string,
    message: MeshMessage,
    options: RequestOptions & { deadline?: number | undefined },
    send: (message: MeshMessage, deadlineMs: number) => RequestSend,
  ): Promise<ReceivedMessage> {
    let timeoutMs: number;
    let sendDeadlineMs: number | undefined;
    try {
      const what = `request options for "${address}"`;
      timeoutMs = parseOptions(requestOptionsSchema, options, what).timeoutMs;
      sendDeadlineMs = parseOptions(publishOptionsSchema, options, what).deadline;
    } catch (error) {
      return Promise.reject(error);
    }
    const correlationId = message.correlationId ?? message.messageId ?? generateUuid();
    const messageId = message.messageId ?? correlationId;
    const endsAt = Date.now() + timeoutMs;
    return new Promise<ReceivedMessage>((resolve, reject) => {
      let settled = false;
      let sending: RequestSend | undefined;
      const timedOut = (cause?: Error): RequestTimeoutError =>
        new RequestTimeoutError({
          address,
          url: this.url,
          messageId: correlationId,
          timeoutMs,
          reason: "timeout",
          cause,
        });
      const finish = (error: Error | undefined, reply?: ReceivedMessage): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (this.waiting.get(correlationId) === entry) this.waiting.delete(correlationId);
        if (error === undefined) resolve(reply as ReceivedMessage);
        else {
          // Withdrawn: a request nobody waits for must not be sent (or resent) later.
          sending?.cancel(error);
          reject(error);
        }
      };
      const entry: Waiting = {
        address,
        resolve: (reply) => finish(undefined, reply),
        reject: (error) => finish(error),
      };
      // One timer for the whole request, armed before anything can wait: a reply address
      // that never comes, a connection that never opens, a reply that never arrives.
      const timer = setTimeout(() => finish(timedOut()), timeoutMs);
      this.replyAddressReady().then(
        (replyTo) => {
          if (settled) return;
          this.waiting.set(correlationId, entry);
          const left = Math.max(1, endsAt - Date.now());
          const deadline = Math.min(sendDeadlineMs ?? left, left);
          sending = send({ ...message, messageId, correlationId, replyTo }, deadline);
          sending.result.then(
            () => {},
            (error: unknown) => {
              const failure = error instanceof Error ? error : new Error(String(error));
              // Out of time while sending: the request's own timeout, the publish's error as cause.
              finish(isDeadlineError(failure) && deadline === left ? timedOut(failure) : failure);
            },
          );
        },
        (error: Error) => finish(error),
      );
    });
  }

  protected get attachable(): boolean {
    return !this.closed;
  }

  protected openLink(connection: Connection): { session: Session; link: Receiver } {
    const session = beginReceiverSession(connection);
    const link = session.attach_receiver({
      source: { dynamic: true },
      credit_window: 0,
      autoaccept: false,
    });
    return { session, link };
  }

  protected opened(link: Receiver): void {
    const source = attachedSource(link);
    // A null source is a refusal (AMQP 1.0 §2.6.3): its detach, with the reason, follows.
    if (source === undefined) return;
    const address = source.address;
    if (typeof address !== "string") {
      this.refused(link, "the router gave the dynamic reply receiver no address");
      return;
    }
    this.replyAddress = address;
    link.add_credit(REPLY_CREDIT);
    this.replyTo.resolve(address);
  }

  protected listen(link: Receiver): void {
    link.on("message", (ctx: EventContext) => {
      if (!this.isCurrent(link) || !ctx.delivery || !ctx.message) return;
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
      waiting.resolve(reply);
    });
  }

  /**
   * The router refused the reply receiver, or detached it later (or ended its session, as
   * a broker may): whoever waits for a reply on it would never get one.
   */
  protected detached(link: Receiver, { condition, description }: DetachCause): void {
    this.refused(link, description, condition);
  }

  connectionLost(): void {
    this.forgetLink();
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
    this.replyTo.reject(error);
  }

  /** Fails every request still waiting with ClientClosedError and leaves the connection. */
  close(): void {
    this.closed = true;
    this.forgetLink();
    this.replyAddress = undefined;
    const closed = (address: string) =>
      new ClientClosedError(`request to "${address}": the AMQP client was closed`, {
        address,
        url: this.url,
      });
    this.failWaiting((_id, waiting) => closed(waiting.address));
    this.replyTo.reject(closed("(reply address)"));
    this.leave();
  }

  /** The reply link is gone on this connection: fail its waiters; the next request attaches anew. */
  private refused(link: Receiver, description?: string, condition?: string): void {
    this.forgetLink();
    link.on("receiver_error", () => {});
    if (link.is_open()) link.close();
    this.replyAddress = undefined;
    const error = (address: string) => this.refusedError(address, link, { condition, description });
    this.replyTo.reject(error("(dynamic reply-to)"));
    this.failWaiting((_id, waiting) => error(`reply-to for ${waiting.address}`));
  }

  private failWaiting(errorFor: (messageId: string, waiting: Waiting) => Error): void {
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const [messageId, entry] of waiting) entry.reject(errorFor(messageId, entry));
  }

  private replyAddressReady(): Promise<string> {
    if (this.replyAddress !== undefined) return Promise.resolve(this.replyAddress);
    const ready = this.replyTo.wait();
    if (this.link === undefined) this.connection.reattach(this);
    return ready;
  }
}
