/**
 * Link routing (qpid-dispatch): a client's attach on a linkRoute address is proxied, link
 * for link, onto the broker connection — credit passed through, deliveries forwarded as
 * they are, outcomes and detaches passed back.
 */

import type { Attributes } from "../management/schema.ts";
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

/** A link-routed producer: the client's receiving link relayed onto the broker's sender. */
export function proxyProducer(client: Receiver, broker: Sender): void {
  relay(client, broker, {
    // The client may still be sending these: the broker lost them, they may be redelivered.
    lost: () => outcomes.modified(true),
    closures: (cleanup) => linkClosures(client, broker, cleanup),
  });
}

/** A link-routed consumer: the broker's receiving link relayed onto the client's sender. */
export function proxyConsumer(client: Sender, broker: Receiver): void {
  relay(broker, client, {
    // Never reached the client's handler: the broker may hand them to someone else.
    lost: () => outcomes.released(),
    closures: (cleanup) => linkClosures(client, broker, cleanup),
  });
}

/**
 * Relays deliveries arriving on `from` out on `to`, as they are, and each outcome back.
 * Credit is passed through: `from` gets what `to` can send now, never more, so nothing
 * buffers in between. Deliveries in flight when either side goes get `lost()`.
 */
function relay(
  from: Receiver,
  to: Sender,
  options: { lost: () => Outcome; closures: (cleanup: () => void) => void },
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
  };
  for (const e of ["accepted", "rejected", "released", "modified", "settled"]) to.on(e, onOutcome);
  options.closures(() => {
    for (const original of inFlight.values()) settle(original, options.lost());
    inFlight.clear();
  });
}

/** Either side detaching detaches the other, passing the error along. */
function linkClosures(
  client: Sender | Receiver,
  broker: Sender | Receiver,
  cleanup: () => void,
): void {
  let done = false;
  const finish = (from: Sender | Receiver, to: Sender | Receiver): void => {
    if (done) return;
    done = true;
    cleanup();
    const error = from.error as { condition?: string; description?: string } | undefined;
    if (!isLocallyOpen(to)) return;
    const close = (): void => {
      to.close(
        error?.condition
          ? { condition: error.condition, description: error.description }
          : undefined,
      );
    };
    // A link whose peer has not answered our attach yet is closed once it has: closed
    // earlier, rhea takes the late answer for a new attach from the peer and opens the link
    // again (with credit), and the broker hands messages to a client that has gone.
    if (to.is_remote_open()) close();
    else to.once(to.is_receiver() ? "receiver_open" : "sender_open", close);
  };
  const clientEvent = client.is_receiver() ? "receiver_close" : "sender_close";
  const brokerEvent = broker.is_receiver() ? "receiver_close" : "sender_close";
  client.on(clientEvent, () => finish(client, broker));
  broker.on(brokerEvent, () => finish(broker, client));
  // The client's connection may drop without a detach.
  client.connection.on("disconnected", () => finish(client, broker));
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
