/**
 * Link routing (qpid-dispatch): a client's attach on a linkRoute address is proxied, link
 * for link, onto the broker connection — credit passed through, deliveries forwarded as
 * they are, outcomes and detaches passed back.
 */

import type { EventEmitter } from "node:events";
import type { Attributes } from "../entities/schema.ts";
import {
  type Delivery,
  encodeMessage,
  grantedCredit,
  guarded,
  isLocallyOpen,
  isPresettled,
  type Message,
  type Outcome,
  outcomes,
  type Receiver,
  readOutcome,
  refuseAttach,
  type Sender,
  sendEncoded,
  senderAvailableCredit,
  settle,
} from "../protocol/rhea-internals.ts";
import { matchPattern, tokenize } from "../routing/address-table.ts";

const NO_ROUTE = "qd:no-route-to-dest";

/** Where a link-routed attach goes when no router holds the route's connection now. */
export const NO_ROUTE_HANDLER = {
  routeProducer: (receiver: Receiver): void => refuse(receiver),
  routeConsumer: (sender: Sender): void => refuse(sender),
};

function refuse(link: Sender | Receiver): void {
  refuseAttach(link, { condition: NO_ROUTE, description: "No route to the destination node" });
}

/**
 * How one side of a routed link went: detached by its peer, or lost with its connection
 * (or, on the broker side, its session: RabbitMQ 3.x ends the session over an outcome it
 * cannot read).
 */
type Closure = { side: "client" | "broker"; how: "detached" | "lost" };

/** What qdrouterd 1.19 sends the other side of a routed link whose peer was lost. */
const ROUTED_LINK_LOST = {
  condition: "qd:routed-link-lost",
  description: "Connectivity to the peer container was lost",
};

/** A link-routed producer: the client's receiving link relayed onto the broker's sender. */
export function proxyProducer(client: Receiver, broker: Sender): void {
  relay(client, broker, {
    // The client may still be sending these: the broker lost them, they may be redelivered.
    // Its session or connection lost (RabbitMQ ends the session over a foreign user-id):
    // `released`, as qdrouterd 1.19.0 answered the producer (broker.test.ts).
    unsettled: ({ side, how }) =>
      side === "broker"
        ? how === "lost"
          ? outcomes.released()
          : outcomes.modified(true)
        : undefined,
    closures: (cleanup) => linkClosures(client, broker, cleanup),
  });
}

/**
 * A link-routed consumer: the broker's receiving link relayed onto the client's sender.
 * What the broker handed out and the client never settled, as qdrouterd 1.19.0 does it
 * (seen in its frame trace against RabbitMQ 3.10): a client that detaches leaves them
 * unsettled on the broker's link, which is detached too; a client whose connection is
 * lost gets them settled `modified` (delivery-failed) before the broker's link is
 * detached with qd:routed-link-lost.
 */
export function proxyConsumer(client: Sender, broker: Receiver): void {
  relay(broker, client, {
    unsettled: ({ side, how }) =>
      side === "client" && how === "lost" ? outcomes.modified(true) : undefined,
    closures: (cleanup) => linkClosures(client, broker, cleanup),
  });
}

/**
 * Relays deliveries arriving on `from` out on `to`, as they are, and each outcome back.
 * Credit is passed through: `from` gets what `to` can send now, never more, so nothing
 * buffers in between. Deliveries in flight when either side goes are settled with what
 * `unsettled()` says for that closure, or left as they are.
 */
function relay(
  from: Receiver,
  to: Sender,
  options: {
    unsettled: (closure: Closure) => Outcome | undefined;
    closures: (cleanup: (closure: Closure) => void) => void;
  },
): void {
  const inFlight = new Map<Delivery, Delivery>();
  let handed = 0;
  const grant = (): void => {
    // The sending side has gone: the other link is about to close and must get no credit.
    if (!isLocallyOpen(to)) return;
    const want = Math.max(0, senderAvailableCredit(to, handed));
    const have = grantedCredit(from);
    if (want > have && from.is_open()) from.add_credit(want - have);
  };
  to.on("sendable", guarded("link-route sendable", grant));
  to.on("sender_flow", guarded("link-route sender_flow", grant));
  from.on("receiver_open", guarded("link-route receiver_open", grant));
  from.on(
    "message",
    guarded("link-route message", (context: { message?: Message; delivery?: Delivery }) => {
      const { message, delivery } = context;
      if (!message || !delivery) return;
      handed++;
      const presettled = isPresettled(delivery);
      const out = sendEncoded(to, encodeMessage(message), presettled);
      if (!presettled) inFlight.set(out, delivery);
    }),
  );
  const onOutcome = (context: { delivery?: Delivery }): void => {
    const out = context.delivery;
    if (!out) return;
    const original = inFlight.get(out);
    if (!original) return;
    inFlight.delete(out);
    settle(original, readOutcome(out.remote_state) ?? outcomes.released());
    // The grant is bounded by room in `to`'s session buffer, which rhea frees only after
    // this event, as it removes the settled deliveries: grant again once it has. Without
    // this, a broker that gave all its credit at once (RabbitMQ: 65,536) sent no flow when
    // the first 2,048 deliveries had filled the buffer, and the producer got no credit again.
    regrantSoon();
  };
  let regrantQueued = false;
  const regrantSoon = (): void => {
    if (regrantQueued) return;
    regrantQueued = true;
    queueMicrotask(
      guarded("link-route regrant", () => {
        regrantQueued = false;
        grant();
      }),
    );
  };
  for (const e of ["accepted", "rejected", "released", "modified", "settled"]) to.on(e, onOutcome);
  options.closures((closure) => {
    const outcome = options.unsettled(closure);
    if (outcome !== undefined) for (const original of inFlight.values()) settle(original, outcome);
    inFlight.clear();
  });
}

/**
 * Either side going takes the other with it: a detach is passed on with its error; a side
 * lost with its connection (or the broker's session) detaches the other with
 * qd:routed-link-lost. The listeners on the shared connections and session are removed
 * once it has happened.
 */
function linkClosures(
  client: Sender | Receiver,
  broker: Sender | Receiver,
  cleanup: (closure: Closure) => void,
): void {
  const removers: (() => void)[] = [];
  const listen = (emitter: EventEmitter, event: string, f: () => void): void => {
    // One listener per routed link on a shared connection or session, removed when its
    // link goes: many at once are expected, not a leak.
    emitter.setMaxListeners(0);
    emitter.on(event, f);
    removers.push(() => emitter.off(event, f));
  };
  let done = false;
  const finish = (closure: Closure): void => {
    if (done) return;
    done = true;
    for (const remove of removers.splice(0)) remove();
    cleanup(closure);
    const [from, to] = closure.side === "client" ? [client, broker] : [broker, client];
    const detached = from.error as { condition?: string; description?: string } | undefined;
    const error =
      closure.how === "lost"
        ? ROUTED_LINK_LOST
        : detached?.condition
          ? { condition: detached.condition, description: detached.description }
          : undefined;
    if (!isLocallyOpen(to)) return;
    const close = (): void => {
      to.close(error);
    };
    // A link whose peer has not answered our attach yet is closed once it has: closed
    // earlier, rhea takes the late answer for a new attach from the peer and opens the link
    // again (with credit), and the broker hands messages to a client that has gone.
    if (to.is_remote_open()) close();
    else to.once(to.is_receiver() ? "receiver_open" : "sender_open", close);
  };
  const closeEvent = (link: Sender | Receiver) =>
    link.is_receiver() ? "receiver_close" : "sender_close";
  // On the links themselves these stay: a link with a listener keeps its events to itself
  // (rhea's dispatch), as it always has here.
  client.on(closeEvent(client), () => finish({ side: "client", how: "detached" }));
  broker.on(closeEvent(broker), () => finish({ side: "broker", how: "detached" }));
  // The client's connection may drop without a detach; so may the broker's.
  listen(client.connection, "disconnected", () => finish({ side: "client", how: "lost" }));
  listen(broker.connection, "disconnected", () => finish({ side: "broker", how: "lost" }));
  // RabbitMQ 3.x ends the router's whole session over an outcome it cannot read (a
  // `modified`): every routed link on it is lost.
  // (Its `observers` hear every session event without taking it from rhea's dispatch.)
  const session = (broker as unknown as { session: { observers: EventEmitter } }).session;
  listen(session.observers, "session_close", () => finish({ side: "broker", how: "lost" }));
}

export function mapExternal(address: string, a: Attributes): string {
  let result = address;
  // Stripped only from an address longer than the prefix (qdrouterd 1.19 terminus.c
  // qdr_terminus_strip_address_prefix: `orig_len > prefix_len`).
  if (
    typeof a.delExternalPrefix === "string" &&
    result.length > a.delExternalPrefix.length &&
    result.startsWith(a.delExternalPrefix)
  ) {
    result = result.slice(a.delExternalPrefix.length);
  }
  if (typeof a.addExternalPrefix === "string") result = a.addExternalPrefix + result;
  return result;
}

/** linkRoute prefixes and patterns match whole tokens, like address prefixes. */
export function linkRouteMatches(a: Attributes, address: string): boolean {
  const tokens = tokenize(address);
  if (typeof a.prefix === "string") {
    return matchPattern([...tokenize(a.prefix), "#"], tokens) >= 0;
  }
  if (typeof a.pattern === "string") return matchPattern(tokenize(a.pattern), tokens) >= 0;
  return false;
}
