/**
 * The one place that touches rhea's loosely typed internals for the emulator: outcomes,
 * raw message payloads, error conditions. Everything else imports from here. rhea's own
 * corrections (shared/amqp/rhea-patches.ts) are applied by the listener (patchRhea()).
 */

import type { Connection, Delivery, Message, Receiver, Sender } from "rhea";
import rhea from "rhea";
import type { ErrorCondition, Outcome } from "../../shared/amqp/outcome.ts";
import { guardDispositionRanges } from "../../shared/amqp/rhea-patches.ts";

// One outcome type for the client and the emulator (shared/amqp/outcome.ts).
export type { ErrorCondition, Outcome, OutcomeKind } from "../../shared/amqp/outcome.ts";
export { readOutcome } from "../../shared/amqp/outcome.ts";
export type { Connection, Delivery, Message, Receiver, Sender };

/** rhea builds outcome sections with functions its typings do not declare. */
interface OutcomeFactories {
  accepted(): { described(): unknown };
  released(): { described(): unknown };
  rejected(fields: { error: ErrorCondition }): { described(): unknown };
  modified(fields: { delivery_failed: boolean; undeliverable_here: boolean }): {
    described(): unknown;
  };
}
const factories = rhea.message as unknown as OutcomeFactories;

export const outcomes = {
  accepted(): Outcome {
    return { kind: "accepted" };
  },
  released(): Outcome {
    return { kind: "released" };
  },
  rejected(error: ErrorCondition): Outcome {
    return { kind: "rejected", error };
  },
  modified(deliveryFailed: boolean, undeliverableHere = false): Outcome {
    return { kind: "modified", deliveryFailed, undeliverableHere };
  },
};

/** The field-less outcomes are immutable once described: one instance serves every delivery. */
const ACCEPTED = factories.accepted().described();
const RELEASED = factories.released().described();

/**
 * The described outcome for a disposition. Built afresh: re-describing a decoded outcome
 * yields a malformed list that strict peers (RabbitMQ) reject with a connection error.
 */
function describe(outcome: Outcome): unknown {
  switch (outcome.kind) {
    case "accepted":
      return ACCEPTED;
    case "released":
      return RELEASED;
    case "rejected":
      return factories
        .rejected({ error: outcome.error ?? { condition: "amqp:internal-error" } })
        .described();
    case "modified":
      return factories
        .modified({
          delivery_failed: outcome.deliveryFailed ?? false,
          undeliverable_here: outcome.undeliverableHere ?? false,
        })
        .described();
  }
}

/** Settles an incoming delivery with an outcome (the producer sees it in its disposition). */
export function settle(delivery: Delivery, outcome: Outcome): void {
  if (delivery.settled) return;
  delivery.update(true, describe(outcome));
}

/** Encoded form of a message: what travels through the emulated mesh. */
export function encodeMessage(message: Message): Buffer {
  return rhea.message.encode(message);
}

export function decodeMessage(payload: Buffer): Message {
  return rhea.message.decode(payload) as unknown as Message;
}

/** Sends an already encoded message (format 0) so forwarding never re-encodes. */
export function sendEncoded(sender: Sender, payload: Buffer, presettled: boolean): Delivery {
  const delivery = sender.send(payload, undefined, 0);
  // rhea writes the transfer on the next tick, so marking it settled now makes it presettled.
  if (presettled) (delivery as { settled: boolean }).settled = true;
  return delivery;
}

/** Incoming delivery's settled flag as sent by the peer (presettled = at-most-once). */
export function isPresettled(delivery: Delivery): boolean {
  return delivery.remote_settled === true;
}

/** Link credit the router currently grants on a receiver (rhea tracks it as a number). */
export function grantedCredit(receiver: Receiver): number {
  return (receiver as unknown as { credit: number }).credit;
}

/**
 * Asks the sender to use up or give back its credit (a flow with drain set), as qdrouterd
 * does to a targeted producer whose address has no path; `drained` runs when it has.
 * rhea keeps a receiver's drain flag set, so it is cleared once the sender answered.
 */
export function drainCredit(receiver: Receiver, drained: () => void): void {
  const link = receiver as Receiver & { drain: boolean };
  if (link.drain) return;
  link.once("receiver_drained", () => {
    link.drain = false;
    drained();
  });
  link.drain_credit();
}

/** The terminus address of a link end (source for a consumer, target for a producer). */
export function terminusAddress(terminus: unknown): string | undefined {
  if (typeof terminus !== "object" || terminus === null) return undefined;
  const address = (terminus as { address?: unknown }).address;
  return typeof address === "string" && address.length > 0 ? address : undefined;
}

export function isDynamic(terminus: unknown): boolean {
  return (
    typeof terminus === "object" &&
    terminus !== null &&
    (terminus as { dynamic?: unknown }).dynamic === true
  );
}

/** SASL user name the peer authenticated as (undefined for ANONYMOUS or no SASL). */
export function authenticatedUser(connection: Connection): string | undefined {
  type SaslLayer = { username?: unknown; selected?: { username?: unknown } };
  const layer = connection.sasl_transport as SaslLayer | undefined;
  // rhea's server either runs SASL directly or "selectively" (when ANONYMOUS may skip it).
  const username = layer?.username ?? layer?.selected?.username;
  return typeof username === "string" && username !== "anonymous" ? username : undefined;
}

export { rhea };

/**
 * Refuses a link the client is attaching, as qdrouterd and skupper-router do
 * (`CORE_link_detach`, router_node.c): the answering attach carries a null terminus on the
 * router's side — no source for a link the router would send on, no target for one it would
 * receive on (AMQP 1.0 §2.6.3) — followed by the detach with the reason.
 */
export function refuseAttach(link: Sender | Receiver, error: ErrorCondition): void {
  const attach = (link as unknown as { local: { attach: { source?: unknown; target?: unknown } } })
    .local.attach;
  if (link.is_sender()) attach.source = null;
  else attach.target = null;
  link.close(error);
}

/**
 * Whether this end of a link is still open, whatever the peer did. rhea's is_open() also
 * needs the peer's attach: a link closed before the peer answered would count as closed
 * and never be detached.
 */
export function isLocallyOpen(link: Sender | Receiver): boolean {
  return (link as unknown as { state?: { local_open?: boolean } }).state?.local_open === true;
}

/**
 * Drops a socket the way a crash does, so that rhea notices. rhea listens for `end` and
 * `error` on its socket but not `close`: after a bare destroy() its connection never learns
 * it is gone, and its heartbeat timers (up to twice the idle time-out) keep the process
 * alive. Destroying with an error runs rhea's disconnect handling, which clears them.
 * The socket must have an `error` listener (rhea's, or the caller's).
 */
export function dropSocket(socket: { destroy(error?: Error): void } | undefined): void {
  socket?.destroy(new Error("connection dropped"));
}

/**
 * Deliveries a sender can still transfer now: rhea's link credit minus what it holds
 * unsent, bounded by room in the session's outgoing buffer (rhea throws when it is full).
 */
export function senderAvailableCredit(sender: Sender, handedToRhea: number): number {
  const link = sender as unknown as {
    credit: number;
    delivery_count: number;
    session: { outgoing: { available(): number } };
  };
  return Math.min(
    link.credit - (handedToRhea - link.delivery_count),
    link.session.outgoing.available(),
  );
}

/**
 * Links the router itself opened (to a broker, over a route-container connection). Their
 * attach answers reach the same rhea events as a client's attach and must not be taken
 * for one.
 */
const ownLinks = new WeakSet<Sender | Receiver>();

export function markOwnLink<L extends Sender | Receiver>(link: L): L {
  ownLinks.add(link);
  return link;
}

export function isOwnLink(link: Sender | Receiver): boolean {
  return ownLinks.has(link);
}

/** The peer's IP address (for the vhost's maxConnectionsPerHost); "" when unknown. */
export function remoteIp(connection: Connection): string {
  const socket = (connection as unknown as { socket?: { remoteAddress?: string } }).socket;
  return socket?.remoteAddress ?? "";
}

/** Sets the max-message-size the router announces in its attach for this link. */
export function advertiseMaxMessageSize(link: Sender | Receiver, size: number): void {
  const local = (link as unknown as { local: { attach: { max_message_size?: number } } }).local;
  local.attach.max_message_size = size;
}

/** The remote peer's container id from its open frame. */
export function remoteContainerId(connection: Connection): string | undefined {
  const open = (connection as { remote?: { open?: { container_id?: unknown } } }).remote?.open;
  return typeof open?.container_id === "string" ? open.container_id : undefined;
}

/** The hostname the peer put in its open frame (selects the policy vhost). */
export function remoteHostname(connection: Connection): string | undefined {
  const open = (connection as { remote?: { open?: { hostname?: unknown } } }).remote?.open;
  return typeof open?.hostname === "string" ? open.hostname : undefined;
}

/**
 * rhea merges an `accepted` and a different outcome settled in the same tick into one
 * disposition range. The client's session guard (shared/amqp) fixes that for the router's
 * links too: one fix of rhea's internals, not two.
 */
export function guardDispositionBatching(link: Sender | Receiver): void {
  guardDispositionRanges((link as unknown as { session?: unknown }).session);
}

/**
 * Wraps an event handler so that a bug in the emulator surfaces as a log line, not as an
 * exception thrown into rhea's I/O (which would drop a connection or crash the process).
 */
export function guarded<A extends unknown[]>(
  what: string,
  handler: (...args: A) => void,
): (...args: A) => void {
  return (...args: A): void => {
    try {
      handler(...args);
    } catch (error) {
      console.error(`[emulator] ${what} failed:`, error);
    }
  };
}

/**
 * Calls `handler` once when the peer ends the session a link is on. rhea tells only the
 * session, not its links (a link sees neither a detach nor a close); its `observers` hear
 * every session event without taking it from rhea's dispatch.
 */
export function onSessionEnd(link: Sender | Receiver, handler: () => void): void {
  const session = (link as unknown as { session?: { observers?: NodeJS.EventEmitter } }).session;
  session?.observers?.once("session_close", handler);
}
