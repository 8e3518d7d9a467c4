/** `router.link` rows: a client's links, as qdrouterd shows endpoint links. */
import type { Attributes } from "../../entities/schema.ts";
import { grantedCredit, senderAvailableCredit } from "../../protocol/rhea-internals.ts";
import { DEFAULT_LINK_CAPACITY } from "../../routing/producer-link.ts";
import { addressHashKey, linkIdentity, type RuntimeView } from "./view.ts";

const LINK_DEFAULTS = {
  capacity: DEFAULT_LINK_CAPACITY,
  peer: null,
  adminStatus: "enabled",
  operStatus: "up",
  presettledCount: 0,
  droppedPresettledCount: 0,
  acceptedCount: 0,
  rejectedCount: 0,
  releasedCount: 0,
  modifiedCount: 0,
  deliveriesDelayed1Sec: 0,
  deliveriesDelayed10Sec: 0,
  deliveriesStuck: 0,
  openMovedStreams: 0,
  ingressHistogram: null,
  // What qdrouterd gives a client's endpoint link (the recording's router.link rows).
  priority: 4,
  settleRate: 0,
  zeroCreditSeconds: 0,
};

export function linkRows(view: RuntimeView): Attributes[] {
  const type = view.agent.qualified("router.link");
  const rows: Attributes[] = [];
  for (const c of view.connections) {
    for (const consumer of c.consumers) {
      const name = consumer.sender.name;
      let credit = 0;
      try {
        credit = Math.max(0, senderAvailableCredit(consumer.sender, consumer.delivered));
      } catch {
        // The link's session is gone; it has no credit to show.
      }
      rows.push({
        ...LINK_DEFAULTS,
        name,
        identity: linkIdentity(consumer),
        type,
        linkName: name,
        linkType: "endpoint",
        linkDir: "out",
        owningAddr: addressHashKey(view, consumer.address),
        undeliveredCount: Math.max(0, consumer.outstanding - consumer.unsettled),
        unsettledCount: consumer.unsettled,
        deliveryCount: consumer.delivered,
        connectionId: c.identity,
        creditAvailable: credit,
      });
    }
    for (const producer of c.producers) {
      const name = producer.receiver.name;
      rows.push({
        ...LINK_DEFAULTS,
        name,
        identity: linkIdentity(producer),
        type,
        linkName: name,
        linkType: "endpoint",
        linkDir: "in",
        owningAddr: producer.address === undefined ? null : addressHashKey(view, producer.address),
        undeliveredCount: 0,
        unsettledCount: producer.outstanding,
        deliveryCount: producer.received,
        connectionId: c.identity,
        creditAvailable: grantedCredit(producer.receiver),
      });
    }
  }
  return rows;
}
