/**
 * The life of one client link, once for the sender, the consumer and the reply receiver:
 * opened on a session of its own on every connection the client opens, answered by the
 * router (an attach, or a refusal: a null terminus then a detach), detached or ended by it,
 * re-attached after a backoff or given up. Events of a rhea link the client has already
 * forgotten (a dead connection's, or one replaced) are ignored here, so a subclass only
 * ever hears about its current link. What a detach means (retry, refuse, fail the waiting)
 * stays with each kind of link.
 */
import type { ManagedLink, MeshConnection } from "./connection.ts";
import type { ConnectionFailedError } from "./errors.ts";
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

export abstract class LinkLifecycle<L extends Sender | Receiver> implements ManagedLink {
  protected readonly connection: MeshConnection;
  /** The current rhea link; undefined between connections and once given up. */
  protected link: L | undefined;
  protected session: Session | undefined;
  /** The router the current link is on (credentials stripped). */
  protected url: string | undefined;

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
    const role = link.is_sender() ? "sender" : "receiver";
    link.on(`${role}_open`, () => {
      if (this.link === link) this.opened(link);
    });
    this.listen(link);
    // Errors come again as the close that follows: heard there, silenced here (an
    // EventEmitter 'error' without a listener would throw inside rhea).
    link.on(`${role}_error`, () => {});
    link.on(`${role}_close`, () => {
      if (this.link === link) this.detached(link, amqpErrorFields(link.error));
    });
    session.on("session_error", () => {});
    // Some brokers end the whole session instead of detaching the link (RabbitMQ 3.x does
    // for an unknown exchange): the same for a session that carries one link.
    session.on("session_close", () => {
      if (this.link === link) this.detached(link, amqpErrorFields(session.error));
    });
  }

  /** Whether `link` is the current one (events of earlier links are stale). */
  protected isCurrent(link: L): boolean {
    return this.link === link;
  }

  /** Forgets the current rhea link (its events unheard from now on); returns it and its session. */
  protected forgetLink(): { link: L | undefined; session: Session | undefined } {
    const { link, session } = this;
    this.link = undefined;
    link?.removeAllListeners();
    return { link, session };
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
}
