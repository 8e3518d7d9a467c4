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

import type { StoredEntity } from "../entities/entity-store.ts";
import {
  type Connection,
  type Delivery,
  encodeMessage,
  guardDispositionBatching,
  guarded,
  isPresettled,
  type Message,
  markOwnLink,
  onSessionEnd,
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

/** An out autoLink's link as a destination: counts what it hands the broker (router.address). */
class BrokerConsumerLink extends ConsumerLink {
  override deliver(delivery: RoutedDelivery): void {
    this.routing.countRouteContainer(this.routerId, this.address, "egress");
    super.deliver(delivery);
  }
}

/**
 * How long a failed autoLink waits before attaching again on the same connection. The broker
 * ended its link or session (RabbitMQ 3.10 ends the session when asked to drain an autoLink,
 * rabbit_classic_queue `send_drained`): skupper-router 3.5.1 showed both autoLinks of that
 * session `failed` and, polled every 2 s, `active` again at the next poll.
 */
export const AUTO_LINK_RETRY_MS = 1_000;

/** An autoLink while its connector is up: the router-side link and its bookkeeping. */
export class ActiveAutoLink {
  #consumer: ConsumerLink | undefined;
  #producer: ProducerLink | undefined;
  #link: Sender | Receiver | undefined;
  /** The connection the binding attached it to, while it is bound there. */
  #connection: Connection | undefined;
  #retry: NodeJS.Timeout | undefined;
  operStatus: "active" | "attaching" | "failed" | "inactive" = "inactive";
  lastError: string | undefined;

  readonly entity: StoredEntity;
  private readonly host: BrokerHost;
  constructor(entity: StoredEntity, host: BrokerHost) {
    this.entity = entity;
    this.host = host;
  }

  attach(connection: Connection): void {
    this.#connection = connection;
    this.#open(connection);
  }

  #open(connection: Connection): void {
    const a = this.entity.attributes;
    const address = String(a.address);
    const external = typeof a.externalAddress === "string" ? a.externalAddress : address;
    this.operStatus = "attaching";
    if (a.direction === "out") {
      const sender = markOwnLink(
        connection.open_sender({ target: { address: external }, autosettle: true }),
      );
      this.#link = sender;
      onSessionEnd(sender, () => {
        if (this.#link === sender) this.#fail("the broker ended the session");
      });
      const consumer = new BrokerConsumerLink(
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
          this.#fail(describeError(context.sender?.error));
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
      onSessionEnd(receiver, () => {
        if (this.#link === receiver) this.#fail("the broker ended the session");
      });
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
          this.#fail(describeError(context.receiver?.error));
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
    this.host.routing.countRouteContainer(this.host.id, producer.address!, "ingress");
    this.host.route({
      payload: encodeMessage(message),
      presettled,
      address: producer.address!,
      ingress: this.host.id,
      producer,
      complete: producer.admit(delivery, presettled),
    });
  }

  /**
   * The broker ended the link (detach) or its whole session (end: rhea tells the session, not
   * its links): the link is gone, and attached again on the same connection after a while.
   */
  #fail(error: string): void {
    this.lastError = error;
    this.#release();
    this.operStatus = "failed";
    const connection = this.#connection;
    if (connection === undefined || this.#retry !== undefined) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#connection === connection && connection.is_open()) this.#open(connection);
    }, AUTO_LINK_RETRY_MS);
  }

  /** The binding detaches it: its connector went down, or the autoLink was deleted. */
  detach(): void {
    this.#connection = undefined;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#release();
    this.operStatus = "inactive";
  }

  #release(): void {
    if (this.#consumer) this.#consumer.close();
    if (this.#producer) this.host.routing.unregisterProducer(this.#producer);
    this.#consumer = undefined;
    this.#producer = undefined;
    const link = this.#link;
    this.#link = undefined;
    if (link?.is_open()) link.close();
  }
}
