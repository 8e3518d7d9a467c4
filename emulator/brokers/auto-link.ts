/**
 * An autoLink while its connector is up: a router-owned link on the broker connection.
 * `out` is a destination for the address's phase 0 (messages go to the broker); `in` is a
 * producer into phase 1 (messages from the broker go to the address's consumers).
 *
 * As qdrouterd 1.19's core (`qdr_link_inbound_second_attach_CT`): the autoLink is `attaching`
 * from its attach until the peer answers with the terminus it serves — a target with an
 * address for `out`, a source with an address for `in` — and only then `active` and bound to
 * the address. A peer that answers without one (rhea's default answer, which echoes no
 * terminus) leaves it `attaching` for good: no destination, no credit.
 */

import type { StoredEntity } from "../management/agent.ts";
import {
  type Connection,
  type Delivery,
  encodeMessage,
  guardDispositionBatching,
  guarded,
  isPresettled,
  type Message,
  markOwnLink,
  type Receiver,
  type Sender,
} from "../protocol/rhea-internals.ts";
import { ConsumerLink } from "../routing/consumer-link.ts";
import { DEFAULT_LINK_CAPACITY, ProducerLink } from "../routing/producer-link.ts";
import type { RoutedDelivery, RoutingCore } from "../routing/routing-core.ts";

/** What broker links need from their router. */
export interface BrokerHost {
  readonly id: string;
  readonly routing: RoutingCore;
  readonly store: { ofType(type: StoredEntity["type"]): StoredEntity[] };
  consumerKey(address: string): string;
  producerKey(address: string): string;
  route(delivery: RoutedDelivery): void;
}

function describeError(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const e = error as { description?: unknown; message?: unknown };
    return String(e.description ?? e.message ?? "detached");
  }
  return "detached";
}

/** Whether the peer's answering attach names the terminus it serves. */
function servesAddress(terminus: unknown): boolean {
  const address = (terminus as { address?: unknown } | undefined)?.address;
  return typeof address === "string" && address.length > 0;
}

/** An autoLink while its connector is up: the router-side link and its bookkeeping. */
export class ActiveAutoLink {
  #consumer: ConsumerLink | undefined;
  #producer: ProducerLink | undefined;
  #link: Sender | Receiver | undefined;
  operStatus: "active" | "attaching" | "inactive" = "inactive";
  lastError: string | undefined;

  readonly entity: StoredEntity;
  private readonly host: BrokerHost;
  constructor(entity: StoredEntity, host: BrokerHost) {
    this.entity = entity;
    this.host = host;
  }

  attach(connection: Connection): void {
    const a = this.entity.attributes;
    const address = String(a.address);
    const external = typeof a.externalAddress === "string" ? a.externalAddress : address;
    this.operStatus = "attaching";
    if (a.direction === "out") {
      const sender = markOwnLink(
        connection.open_sender({ target: { address: external }, autosettle: true }),
      );
      this.#link = sender;
      const consumer = new ConsumerLink(
        sender,
        this.host.id,
        this.host.producerKey(address),
        this.host.routing,
        DEFAULT_LINK_CAPACITY,
      );
      this.#consumer = consumer;
      sender.on(
        "sender_open",
        guarded("broker sender_open", () => {
          if (!servesAddress(sender.target)) return;
          this.operStatus = "active";
          this.host.routing.addDestination(consumer);
        }),
      );
      sender.on(
        "sender_close",
        guarded("broker sender_close", (context: { sender?: Sender }) => {
          this.lastError = describeError(context.sender?.error);
          this.detach();
        }),
      );
    } else {
      const receiver = markOwnLink(
        connection.open_receiver({
          source: { address: external },
          autoaccept: false,
          credit_window: 0,
        }),
      );
      this.#link = receiver;
      guardDispositionBatching(receiver);
      const producer = new ProducerLink(
        receiver,
        this.host.id,
        this.host.consumerKey(address),
        this.host.routing,
        DEFAULT_LINK_CAPACITY,
      );
      this.#producer = producer;
      receiver.on(
        "receiver_open",
        guarded("broker receiver_open", () => {
          if (!servesAddress(receiver.source)) return;
          this.operStatus = "active";
          this.host.routing.registerProducer(producer);
          producer.refreshCredit();
        }),
      );
      receiver.on(
        "receiver_close",
        guarded("broker receiver_close", (context: { receiver?: Receiver }) => {
          this.lastError = describeError(context.receiver?.error);
          this.detach();
        }),
      );
      receiver.on(
        "message",
        guarded("broker message", (context: { message?: Message; delivery?: Delivery }) => {
          if (context.message && context.delivery) {
            this.#intake(producer, context.delivery, context.message);
          }
        }),
      );
    }
  }

  #intake(producer: ProducerLink, delivery: Delivery, message: Message): void {
    const presettled = isPresettled(delivery);
    this.host.route({
      payload: encodeMessage(message),
      presettled,
      address: producer.address!,
      ingress: this.host.id,
      producer,
      complete: producer.admit(delivery, presettled),
    });
  }

  detach(): void {
    this.operStatus = "inactive";
    if (this.#consumer) this.#consumer.close();
    if (this.#producer) this.host.routing.unregisterProducer(this.#producer);
    this.#consumer = undefined;
    this.#producer = undefined;
    const link = this.#link;
    this.#link = undefined;
    if (link?.is_open()) link.close();
  }
}
