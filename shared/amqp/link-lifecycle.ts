/**
 * The life of one client link, once for the sender, the consumer and the reply receiver:
 * opened on a session of its own on every connection the client opens, answered by the
 * router (an attach, or a refusal: a null terminus then a detach), detached or ended by it,
 * re-attached after a backoff or given up, and closed without ever ending a session whose
 * begin the router has not answered. Events of a rhea link the client has already forgotten
 * (a dead connection's, or one replaced) are ignored here, so a subclass only ever hears
 * about its current link. What a detach means (retry, refuse, fail the waiting) stays with
 * each kind of link.
 */
import { backoffDelay } from "./backoff.ts";
import type { ManagedLink, MeshConnection } from "./connection.ts";
import { type ConnectionFailedError, LinkRefusedError } from "./errors.ts";
import {
  amqpErrorFields,
  type Connection,
  type Receiver,
  type Sender,
  type Session,
} from "./rhea.ts";

/** Why the router detached a link (or ended its session); both undefined for a clean detach. */
export interface DetachCause {
  condition: string | undefined;
  description: string | undefined;
}

/**
 * How long a link closed before the router answered its attach waits for that answer before
 * its session is ended (past it, the session is left to the connection).
 */
export const ANSWER_WAIT_MS = 2_000;

/**
 * Refused attaches in a row and the wait before the next attach: exponential from
 * `initialMs`, jittered, capped per refusal (a transient refusal may be retried sooner than
 * a final one).
 */
export class AttachBackoff {
  /** Attaches refused since the last reset. */
  refusals = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;

  constructor(initialMs: number, maxMs: number) {
    this.initialMs = initialMs;
    this.maxMs = maxMs;
  }

  /** Counts a refusal; returns how long to wait before attaching again. */
  refused(maxMs: number = this.maxMs): number {
    return backoffDelay(this.refusals++, this.initialMs, maxMs);
  }

  /** A link worked: the next refusal starts the backoff over. */
  reset(): void {
    this.refusals = 0;
  }
}

/** Callers waiting for one outcome (a link ready, a reply address), settled all at once. */
export class Waiters<T = void> {
  private list: Array<{ resolve: (value: T) => void; reject: (error: Error) => void }> = [];

  wait(): Promise<T> {
    return new Promise((resolve, reject) => this.list.push({ resolve, reject }));
  }

  /** Resolves when the outcome comes or after `timeoutMs`, whichever is first (void only). */
  waitAtMost(this: Waiters<void>, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.list.push({
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  resolve(value: T): void {
    for (const waiter of this.list.splice(0)) waiter.resolve(value);
  }

  reject(error: Error): void {
    for (const waiter of this.list.splice(0)) waiter.reject(error);
  }
}

export abstract class LinkLifecycle<L extends Sender | Receiver> implements ManagedLink {
  protected readonly connection: MeshConnection;
  /** The current rhea link; undefined between connections and once given up. */
  protected link: L | undefined;
  protected session: Session | undefined;
  /** The router the current link is on (credentials stripped). */
  protected url: string | undefined;
  /** Whether the router answered the current link's attach (opened it, or refused it). */
  protected answered = false;
  /** Waiting for the router's answer to the current attach (released when the link goes). */
  private answerWaiters: Array<() => void> = [];

  constructor(connection: MeshConnection) {
    this.connection = connection;
  }

  /** Whether a connection that opens should attach this link (false once closed or stopping). */
  protected abstract get attachable(): boolean;

  /** Opens the rhea link on a session of its own. */
  protected abstract openLink(connection: Connection): { session: Session; link: L };

  /** The router answered the attach (with a terminus, or a null one before its detach). */
  protected abstract opened(link: L): void;

  /** The router detached the current link or ended its session. */
  protected abstract detached(link: L, cause: DetachCause): void;

  /** Listens for the events only this kind of link has (credit, messages, outcomes). */
  protected abstract listen(link: L): void;

  abstract connectionLost(): void;
  abstract connectionFailed(error: ConnectionFailedError): void;

  attach(connection: Connection, url: string): void {
    if (!this.attachable) return;
    this.url = url;
    const { session, link } = this.openLink(connection);
    this.session = session;
    this.link = link;
    this.answered = false;
    const role = roleOf(link);
    link.on(`${role}_open`, () => {
      if (this.link !== link) return;
      this.wasAnswered();
      this.opened(link);
    });
    this.listen(link);
    // Errors come again as the close that follows: heard there, silenced here (an
    // EventEmitter 'error' without a listener would throw inside rhea).
    link.on(`${role}_error`, () => {});
    link.on(`${role}_close`, () => {
      if (this.link !== link) return;
      this.wasAnswered();
      this.detached(link, amqpErrorFields(link.error));
    });
    session.on("session_error", () => {});
    // Some brokers end the whole session instead of detaching the link (RabbitMQ 3.x does
    // for an unknown exchange): the same for a session that carries one link.
    session.on("session_close", () => {
      if (this.link !== link) return;
      this.wasAnswered();
      this.detached(link, amqpErrorFields(session.error));
    });
  }

  /** Whether `link` is the current one (events of earlier links are stale). */
  protected isCurrent(link: L): boolean {
    return this.link === link;
  }

  /**
   * Resolves once the router answered the current attach (or the link is gone), at the
   * latest after `timeoutMs`; at once when nothing is waiting for an answer.
   */
  protected answer(timeoutMs: number): Promise<void> {
    if (this.link === undefined || this.answered) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.answerWaiters = this.answerWaiters.filter((w) => w !== done);
        resolve();
      }, timeoutMs);
      this.answerWaiters.push(done);
    });
  }

  /** Forgets the current rhea link (its events unheard from now on); returns it and its session. */
  protected forgetLink(): { link: L | undefined; session: Session | undefined } {
    const { link, session } = this;
    this.link = undefined;
    this.session = undefined;
    link?.removeAllListeners();
    // Nothing will answer a forgotten link: whoever waited for its answer goes on.
    for (const done of this.answerWaiters.splice(0)) done();
    return { link, session };
  }

  /**
   * Forgets the current link, detaches it and ends its session. A link the router has not
   * answered yet is closed once it answers (within ANSWER_WAIT_MS): ending a session whose
   * begin is unanswered, rhea would take the late answer for a protocol error and drop the
   * whole connection.
   */
  protected closeLink(): void {
    const answered = this.answered;
    const { link, session } = this.forgetLink();
    if (link === undefined) return;
    const role = roleOf(link);
    link.on(`${role}_error`, () => {});
    session?.on("session_error", () => {});
    if (answered) {
      // Not after a detach or an ended session: rhea answers those itself.
      if (link.is_open()) link.close();
      session?.close();
      return;
    }
    const close = (): void => {
      clearTimeout(timer);
      link.off(`${role}_open`, close);
      link.off(`${role}_close`, close);
      if (link.is_open()) link.close();
      session?.close();
    };
    link.on(`${role}_open`, close);
    link.on(`${role}_close`, close);
    // Unanswered even then: the session is left to the connection rather than risk it.
    const timer = setTimeout(() => {
      link.off(`${role}_open`, close);
      link.off(`${role}_close`, close);
    }, ANSWER_WAIT_MS);
    timer.unref();
  }

  /** Leaves the connection for good: no pending re-attach, no attach on the next connection. */
  protected leave(): void {
    this.connection.unregister(this);
  }

  /** The router's refusal (or detach) of the current link, as the error its users get. */
  protected refusedError(address: string, link: L, cause: DetachCause): LinkRefusedError {
    return new LinkRefusedError({ address, url: this.url, role: roleOf(link), ...cause });
  }

  /**
   * Attaches again after `delayMs` (unless a new connection attaches the link first), when
   * the link is still attachable; `due` decides otherwise (give up instead, say).
   */
  protected reattachLater(
    delayMs: number,
    due: () => void = () => this.connection.reattach(this),
  ): void {
    this.connection.reattachLater(this, delayMs, () => {
      if (this.attachable) due();
    });
  }

  private wasAnswered(): void {
    this.answered = true;
    for (const done of this.answerWaiters.splice(0)) done();
  }
}

function roleOf(link: Sender | Receiver): "sender" | "receiver" {
  return link.is_sender() ? "sender" : "receiver";
}
