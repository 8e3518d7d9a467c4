/**
 * A client's receiving link as a mesh destination: the router's rhea Sender, the deliveries
 * it carries unsettled, and the outcome each one sends back to its producer.
 */
import {
  type Delivery,
  guarded,
  type Outcome,
  outcomes,
  readOutcome,
  type Sender,
  sendEncoded,
  senderAvailableCredit,
} from "../protocol/rhea-internals.ts";
import {
  type Destination,
  newDestinationId,
  type RoutedDelivery,
  type RoutingCore,
} from "./routing-core.ts";

export class ConsumerLink implements Destination {
  readonly id = newDestinationId();
  readonly #inFlight = new Map<Delivery, RoutedDelivery>();
  /** Multicast copies beyond the consumer's credit, bounded by the link capacity. */
  readonly #waiting: RoutedDelivery[] = [];
  #handed = 0;
  #closed = false;
  delivered = 0;

  readonly sender: Sender;
  readonly routerId: string;
  readonly address: string;
  protected readonly routing: RoutingCore;
  private readonly capacity: number;
  constructor(
    sender: Sender,
    routerId: string,
    address: string,
    routing: RoutingCore,
    capacity: number,
  ) {
    this.sender = sender;
    this.routerId = routerId;
    this.address = address;
    this.routing = routing;
    this.capacity = capacity;
    const onOutcome = (context: { delivery?: Delivery }): void => {
      if (context.delivery) this.#settledByConsumer(context.delivery);
    };
    for (const event of ["accepted", "rejected", "released", "modified", "settled"]) {
      sender.on(event, guarded("consumer outcome", onOutcome));
    }
    sender.on(
      "sendable",
      guarded("consumer credit", () => this.#flush()),
    );
    sender.on(
      "sender_draining",
      guarded("consumer drain", () => this.#drain()),
    );
  }

  get outstanding(): number {
    return this.#inFlight.size + this.#waiting.length;
  }

  get unsettled(): number {
    return this.#inFlight.size;
  }

  hasCredit(): boolean {
    return !this.#closed && this.#waiting.length === 0 && this.#available() > 0;
  }

  deliver(delivery: RoutedDelivery): void {
    if (this.#closed) {
      delivery.complete(outcomes.released());
      return;
    }
    if (this.#available() > 0 && this.#waiting.length === 0) {
      this.#transfer(delivery);
      return;
    }
    if (this.#waiting.length >= this.capacity) {
      // A slow multicast consumer never makes the router buffer without bound.
      delivery.complete(outcomes.released());
      return;
    }
    this.#waiting.push(delivery);
  }

  /**
   * The consumer detached its link (or its connection went): no more deliveries, what waits
   * goes back at once, and what it holds unsettled gets `modified` once the frames read with
   * the detach are handled — a disposition right behind it still counts (rhea writes a graceful
   * stop's last accept after the detach; qdrouterd 1.19.0 and skrouterd 3.5.1 pass that accept
   * to the producer, and answer `modified` when no disposition comes with the detach).
   */
  detached(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.routing.removeDestination(this);
    for (const routed of this.#waiting.splice(0)) routed.complete(outcomes.released());
    if (this.#inFlight.size > 0) setImmediate(() => this.close());
  }

  /** Nothing in flight is left without an outcome. */
  close(): void {
    if (!this.#closed) this.detached();
    for (const routed of this.#inFlight.values()) {
      // Already transferred: the consumer may have seen it, so delivery-failed is set.
      routed.complete(outcomes.modified(true));
    }
    this.#inFlight.clear();
  }

  #available(): number {
    if (!this.sender.is_open()) return 0;
    return senderAvailableCredit(this.sender, this.#handed);
  }

  #transfer(routed: RoutedDelivery): void {
    this.#handed++;
    this.delivered++;
    this.routing.countDelivery(this.routerId, this.address, "egress");
    const delivery = sendEncoded(this.sender, routed.payload, routed.presettled);
    if (routed.presettled) {
      // At-most-once: the producer's credit comes back as soon as the copy is on its way.
      routed.complete(outcomes.accepted());
    } else {
      this.#inFlight.set(delivery, routed);
    }
  }

  #flush(): void {
    while (this.#waiting.length > 0 && this.#available() > 0) {
      this.#transfer(this.#waiting.shift()!);
    }
    if (this.#waiting.length === 0) this.routing.destinationReady(this);
  }

  /** The consumer asked to drain: give it what waits, then use up the rest of its credit. */
  #drain(): void {
    this.#flush();
    if (this.#available() > 0) this.sender.set_drained(true);
  }

  #settledByConsumer(delivery: Delivery): void {
    const routed = this.#inFlight.get(delivery);
    if (!routed) return;
    const outcome: Outcome | undefined = readOutcome(delivery.remote_state);
    if (!outcome && !delivery.remote_settled) return; // e.g. a non-terminal state
    this.#inFlight.delete(delivery);
    // Settled without an outcome: the producer learns nothing was consumed.
    routed.complete(outcome ?? outcomes.released());
    if (!this.#closed) this.routing.destinationReady(this);
  }
}
