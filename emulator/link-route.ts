/**
 * Link routing (qpid-dispatch): a client's attach on a linkRoute address is proxied, link
 * for link, onto the broker connection — credit passed through, deliveries forwarded as
 * they are, outcomes and detaches passed back.
 */

import { matchPattern, tokenize } from "./address-table.ts";
import {
  type Delivery,
  encodeMessage,
  grantedCredit,
  guarded,
  isLocallyOpen,
  isPresettled,
  type Message,
  outcomes,
  type Receiver,
  readOutcome,
  type Sender,
  sendEncoded,
  senderAvailableCredit,
  settle,
} from "./amqp.ts";
import type { Attributes } from "./entities.ts";

export const NO_ROUTE = "qd:no-route-to-dest";

/** Where a link-routed attach goes when no router holds the route's connection now. */
export const NO_ROUTE_HANDLER = {
  routeProducer: (receiver: Receiver): void => refuse(receiver),
  routeConsumer: (sender: Sender): void => refuse(sender),
};

function refuse(link: Sender | Receiver): void {
  link.close({ condition: NO_ROUTE, description: "No route to the destination node" });
}

/** A link-routed pair: the client's link on one side, the broker's on the other. */
export function proxyProducer(client: Receiver, broker: Sender): void {
  const inFlight = new Map<Delivery, Delivery>();
  let handed = 0;
  const grant = (): void => {
    // Credit is passed through: the client may send what the broker accepts now.
    const want = Math.max(0, senderAvailableCredit(broker, handed));
    const have = grantedCredit(client);
    if (want > have && client.is_open()) client.add_credit(want - have);
  };
  broker.on("sendable", guarded("broker sendable", grant));
  broker.on("sender_flow", guarded("broker sender_flow", grant));
  client.on(
    "message",
    guarded("broker message", (context: { message?: Message; delivery?: Delivery }) => {
      const { message, delivery } = context;
      if (!message || !delivery) return;
      handed++;
      const presettled = isPresettled(delivery);
      const out = sendEncoded(broker, encodeMessage(message), presettled);
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
  for (const e of ["accepted", "rejected", "released", "modified", "settled"])
    broker.on(e, onOutcome);
  linkClosures(client, broker, () => {
    for (const original of inFlight.values()) settle(original, outcomes.modified(true));
    inFlight.clear();
  });
}

export function proxyConsumer(client: Sender, broker: Receiver): void {
  const inFlight = new Map<Delivery, Delivery>();
  let handed = 0;
  const grant = (): void => {
    // The client has gone: the broker link is about to close and must get no more credit.
    if (!isLocallyOpen(client)) return;
    const want = Math.max(0, senderAvailableCredit(client, handed));
    const have = grantedCredit(broker);
    if (want > have && broker.is_open()) broker.add_credit(want - have);
  };
  client.on("sendable", guarded("broker sendable", grant));
  client.on("sender_flow", guarded("broker sender_flow", grant));
  broker.on("receiver_open", guarded("broker receiver_open", grant));
  broker.on(
    "message",
    guarded("broker message", (context: { message?: Message; delivery?: Delivery }) => {
      const { message, delivery } = context;
      if (!message || !delivery) return;
      handed++;
      const presettled = isPresettled(delivery);
      const out = sendEncoded(client, encodeMessage(message), presettled);
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
  for (const e of ["accepted", "rejected", "released", "modified", "settled"])
    client.on(e, onOutcome);
  linkClosures(client, broker, () => {
    for (const original of inFlight.values()) settle(original, outcomes.released());
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
  if (typeof a.delExternalPrefix === "string" && result.startsWith(a.delExternalPrefix)) {
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
