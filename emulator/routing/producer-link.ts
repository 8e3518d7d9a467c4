/**
 * A client's sending link into the router: credit and its bookkeeping. The router grants
 * credit only while the address has a reachable destination (anonymous links always), and
 * at most `capacity` deliveries of one link are ever unsettled inside the mesh — so the
 * router never buffers without bound and credit follows downstream capacity. A delivery
 * that finds no path drains the link's credit (qdrouterd transfer.c qdr_link_forward_CT).
 */
import {
  type Delivery,
  drainCredit,
  grantedCredit,
  type Outcome,
  type Receiver,
  settle,
} from "../protocol/rhea-internals.ts";
import type { CreditedProducer, RoutingCore } from "./routing-core.ts";

/** qdrouterd's default linkCapacity of a listener. */
export const DEFAULT_LINK_CAPACITY = 250;

export class ProducerLink implements CreditedProducer {
  /** Deliveries received and not yet settled (or, presettled, not yet handed on). */
  outstanding = 0;
  received = 0;

  readonly receiver: Receiver;
  readonly routerId: string;
  readonly address: string | undefined;
  private readonly routing: RoutingCore;
  private readonly capacity: number;
  constructor(
    receiver: Receiver,
    routerId: string,
    address: string | undefined,
    routing: RoutingCore,
    capacity: number,
  ) {
    this.receiver = receiver;
    this.routerId = routerId;
    this.address = address;
    this.routing = routing;
    this.capacity = capacity;
  }

  noPath(): void {
    if (this.receiver.is_open() && grantedCredit(this.receiver) > 0) {
      drainCredit(this.receiver, () => this.refreshCredit());
    }
  }

  /** Credit the producer should hold now. */
  wantedCredit(): number {
    const reachable =
      this.address === undefined || this.routing.isReachable(this.routerId, this.address);
    return reachable ? Math.max(0, this.capacity - this.outstanding) : 0;
  }

  refreshCredit(): void {
    if (!this.receiver.is_open()) return;
    const current = grantedCredit(this.receiver);
    const room = Math.max(0, this.capacity - this.outstanding) - current;
    // Top up in batches (a quarter of capacity) unless the producer would otherwise stall;
    // reachability is only looked at when credit would be granted (it is the costly part).
    if (room <= 0) return;
    if (current > 0 && room < Math.max(1, Math.floor(this.capacity / 4))) return;
    if (this.wantedCredit() - current > 0) this.receiver.add_credit(room);
  }

  /**
   * A delivery of this link enters the mesh: it counts against the link's capacity until
   * the returned `complete` (which acts once) settles it back, while the link is open.
   */
  admit(delivery: Delivery, presettled: boolean): (outcome: Outcome) => void {
    this.outstanding++;
    this.received++;
    if (this.address !== undefined)
      this.routing.countDelivery(this.routerId, this.address, "ingress");
    let done = false;
    return (outcome) => {
      if (done) return;
      done = true;
      if (!presettled && this.receiver.is_open()) settle(delivery, outcome);
      this.outstanding--;
      this.refreshCredit();
    };
  }
}
