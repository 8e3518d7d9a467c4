/**
 * One client connection to an emulated router: the links it attaches (consumers become mesh
 * destinations, producers get credit), policy checks on attach, message intake (size limit,
 * anonymous `to`), and cleanup when the link or connection goes away.
 */

import type { PolicyCounters } from "../policy/policy-counters.ts";
import {
  type Admission,
  CONNECTION_DISALLOWED,
  checkMessageTarget,
  checkSource,
  checkTarget,
  LINK_DISALLOWED,
  type PolicyDecision,
  RESOURCE_LIMIT_EXCEEDED,
  UNAUTHORIZED,
  type UserSettings,
} from "../policy/vhost-policy.ts";
import { ConsumerLink } from "../routing/consumer-link.ts";
import { ProducerLink } from "../routing/producer-link.ts";
import type { RoutedDelivery, RoutingCore } from "../routing/routing-core.ts";
import {
  advertiseMaxMessageSize,
  authenticatedUser,
  type Connection,
  type Delivery,
  type ErrorCondition,
  encodeMessage,
  guardDispositionBatching,
  guarded,
  isDynamic,
  isPresettled,
  type Message,
  outcomes,
  type Receiver,
  refuseAttach,
  remoteContainerId,
  remoteHostname,
  remoteIp,
  type Sender,
  settle,
  terminusAddress,
} from "./rhea-internals.ts";

const MESSAGE_SIZE_EXCEEDED = "amqp:link:message-size-exceeded";
const CONNECTION_FORCED = "amqp:connection:forced";
const OVERSIZE_DESCRIPTION = "Message size exceeded";

/** A link route's far end, when an attach is to be routed to a broker instead. */
export interface LinkRouteHandler {
  routeConsumer(sender: Sender, address: string): void;
  routeProducer(receiver: Receiver, address: string): void;
}

/** What a client connection needs from its router. */
export interface ClientRouter {
  readonly id: string;
  readonly routing: RoutingCore;
  consumerKey(address: string): string;
  producerKey(address: string): string;
  /** A fresh dynamic (reply-to) address owned by this router. */
  dynamicAddress(): string;
  route(delivery: RoutedDelivery): void;
  linkRoute(address: string, direction: "in" | "out"): LinkRouteHandler | undefined;
  /** The address's distribution is `unavailable` (configured, or the router's default). */
  unavailable(address: string): boolean;
  /** The `policy` entity's denial counts. */
  readonly policyCounters: PolicyCounters;
}

/**
 * What qdrouterd answers for an `unavailable` address
 * (src/router_core/modules/address_lookup_client/lookup_client.c,
 * `qdr_link_react_to_first_attach_CT`; src/router_core/transfer.c, `qdr_link_forward_CT`).
 */
const NOT_FOUND = "amqp:not-found";
const UNAVAILABLE_NODE = "Node not found";
const UNAVAILABLE_DELIVERY = "Deliveries cannot be sent to an unavailable address";

export interface ListenerLimits {
  linkCapacity: number;
  /** The policy's maxMessageSize; 0 = unlimited. */
  maxMessageSize: number;
  /** The vhost the listener's connections fall into, whatever their open hostname. */
  policyVhost: string | undefined;
}

/** The tightest of several size limits, where 0 means none. */
export function tightestLimit(...limits: number[]): number {
  const set = limits.filter((n) => n > 0);
  return set.length > 0 ? Math.min(...set) : 0;
}

let nextConnectionId = 1;

/** Strips the `amqp:/` scheme qdrouterd puts on generated addresses. */
export function normaliseAddress(address: string): string {
  return address.startsWith("amqp:/") ? address.slice("amqp:/".length) : address;
}

export class ClientConnection {
  readonly identity = String(nextConnectionId++);
  readonly consumers = new Set<ConsumerLink>();
  readonly producers = new Set<ProducerLink>();
  readonly #linkClosers = new Map<Sender | Receiver, () => void>();
  readonly user: string | undefined;
  readonly settings: UserSettings | undefined;
  /** The listener's (and the policy's) limit, tightened by the user's group (0 = none). */
  readonly maxMessageSize: number;
  #closed = false;

  readonly connection: Connection;
  readonly encrypted: boolean;
  readonly #router: ClientRouter;
  readonly #limits: ListenerLimits;

  constructor(
    connection: Connection,
    router: ClientRouter,
    limits: ListenerLimits,
    policy: {
      enabled: boolean;
      admit(host: string | undefined, user: string | undefined, ip: string): Admission | string;
    },
    encrypted: boolean,
  ) {
    this.connection = connection;
    this.#router = router;
    this.#limits = limits;
    this.encrypted = encrypted;
    this.user = authenticatedUser(connection);
    this.maxMessageSize = limits.maxMessageSize;
    if (policy.enabled) {
      // The listener's policyVhost, else the vhost the peer asked for in its open.
      const vhost = limits.policyVhost ?? remoteHostname(connection);
      const admission = policy.admit(vhost, this.user, remoteIp(connection));
      if (typeof admission === "string") {
        // `settings` says why (no vhost, user in no group); the client sees policy.c's words.
        connection.close({
          condition: RESOURCE_LIMIT_EXCEEDED,
          description: CONNECTION_DISALLOWED,
        });
        this.#closed = true;
        return;
      }
      this.settings = admission.settings;
      this.maxMessageSize = tightestLimit(limits.maxMessageSize, admission.settings.maxMessageSize);
      this.#release = admission.release;
    }
  }

  get remoteContainer(): string | undefined {
    return remoteContainerId(this.connection);
  }

  /** Client senders / receivers the policy let in and that are still attached. */
  readonly #policySenders = new Set<Receiver>();
  /** Gives the connection's place back to the vhost's connection counts. */
  #release: () => void = () => {};
  readonly #policyReceivers = new Set<Sender>();

  #deny(link: Sender | Receiver, condition = UNAUTHORIZED): void {
    this.#router.policyCounters.linksDenied++;
    refuseAttach(link, { condition, description: LINK_DISALLOWED });
  }

  /** The group's maxSenders/maxReceivers, then its names; true when the attach may go on. */
  #approve(link: Sender | Receiver, decide: (settings: UserSettings) => PolicyDecision): boolean {
    const settings = this.settings;
    if (!settings) return true;
    const receiving = link.is_sender(); // our sender serves a client receiver
    const open = receiving ? this.#policyReceivers : this.#policySenders;
    const limit = receiving ? settings.maxReceivers : settings.maxSenders;
    if (limit > 0 && open.size >= limit) {
      this.#deny(link, RESOURCE_LIMIT_EXCEEDED);
      return false;
    }
    if (!decide(settings).allowed) {
      this.#deny(link);
      return false;
    }
    if (receiving) this.#policyReceivers.add(link as Sender);
    else this.#policySenders.add(link as Receiver);
    return true;
  }

  /** The client attached a receiving link: the router sends to it. */
  attachConsumer(sender: Sender): void {
    if (this.#closed) return;
    const source = sender.source;
    const dynamic = isDynamic(source);
    const requested = terminusAddress(source);
    const user = this.user ?? "anonymous";
    if (!this.#approve(sender, (s) => checkSource(s, user, requested, dynamic))) return;
    sender.set_target(sender.target ?? {});
    let address: string;
    if (dynamic) {
      address = this.#router.dynamicAddress();
      sender.set_source({ address: `amqp:/${address}`, dynamic: true });
    } else if (requested !== undefined) {
      address = normaliseAddress(requested);
      sender.set_source({ address: requested });
    } else {
      refuseAttach(sender, {
        condition: "amqp:invalid-field",
        description: "Source has no address",
      });
      return;
    }
    const routed = dynamic ? undefined : this.#router.linkRoute(address, "out");
    if (routed) {
      routed.routeConsumer(sender, address);
      return;
    }
    if (!dynamic && this.#router.unavailable(address)) {
      refuseAttach(sender, { condition: NOT_FOUND, description: UNAVAILABLE_NODE });
      return;
    }
    const consumer = new ConsumerLink(
      sender,
      this.#router.id,
      this.#router.consumerKey(address),
      this.#router.routing,
      this.#limits.linkCapacity,
    );
    this.consumers.add(consumer);
    this.#linkClosers.set(sender, () => {
      this.consumers.delete(consumer);
      consumer.detached();
    });
    this.#router.routing.addDestination(consumer);
  }

  /** The client attached a sending link: the router receives from it. */
  attachProducer(receiver: Receiver): void {
    if (this.#closed) return;
    const target = receiver.target;
    const requested = terminusAddress(target);
    const user = this.user ?? "anonymous";
    if (!this.#approve(receiver, (s) => checkTarget(s, user, requested))) return;
    if (isDynamic(target)) {
      refuseAttach(receiver, {
        condition: "amqp:not-implemented",
        description: "Dynamic targets are not supported",
      });
      return;
    }
    receiver.set_source(receiver.source ?? {});
    receiver.set_target(
      (requested !== undefined ? { address: requested } : {}) as { address: string },
    );
    if (this.maxMessageSize > 0) advertiseMaxMessageSize(receiver, this.maxMessageSize);
    const address = requested !== undefined ? normaliseAddress(requested) : undefined;
    const routed = address !== undefined ? this.#router.linkRoute(address, "in") : undefined;
    if (routed && address !== undefined) {
      guardDispositionBatching(receiver);
      routed.routeProducer(receiver, address);
      return;
    }
    if (address !== undefined && this.#router.unavailable(address)) {
      refuseAttach(receiver, { condition: NOT_FOUND, description: UNAVAILABLE_NODE });
      return;
    }
    guardDispositionBatching(receiver);
    const producer = new ProducerLink(
      receiver,
      this.#router.id,
      address !== undefined ? this.#router.producerKey(address) : undefined,
      this.#router.routing,
      this.#limits.linkCapacity,
    );
    this.producers.add(producer);
    this.#router.routing.registerProducer(producer);
    receiver.on(
      "message",
      guarded(
        "message intake",
        (context: { message?: Message; delivery?: Delivery; format?: number }) => {
          if (!context.delivery) return;
          try {
            this.#intake(producer, context.delivery, context.message, context.format);
          } catch (error) {
            // What rhea decoded but cannot re-encode is not a valid message: like qdrouterd.
            if (!isPresettled(context.delivery)) {
              settle(
                context.delivery,
                outcomes.rejected({
                  condition: "amqp:decode-error",
                  description: "invalid message format",
                }),
              );
            }
            throw error;
          }
        },
      ),
    );
    this.#linkClosers.set(receiver, () => {
      this.producers.delete(producer);
      this.#router.routing.unregisterProducer(producer);
    });
    producer.refreshCredit();
  }

  #intake(
    producer: ProducerLink,
    delivery: Delivery,
    message: Message | undefined,
    format: number | undefined,
  ): void {
    const presettled = isPresettled(delivery);
    const refuse = (error: ErrorCondition): void => {
      if (!presettled) settle(delivery, outcomes.rejected(error));
    };
    if (format !== undefined || message === undefined) {
      refuse({ condition: "amqp:not-implemented", description: "Only message format 0" });
      return;
    }
    // Conditions and descriptions as qdrouterd's AMQP_rx_handler (src/router_node.c) sets them.
    let address = producer.address;
    if (address === undefined) {
      const to = typeof message.to === "string" ? normaliseAddress(message.to) : undefined;
      if (to === undefined) {
        refuse({
          condition: "amqp:precondition-failed",
          description: "Routing failure: no address present",
        });
        return;
      }
      if (this.settings && !checkMessageTarget(this.settings, this.user ?? "anonymous", to)) {
        refuse({ condition: UNAUTHORIZED, description: "policy violation on target" });
        return;
      }
      if (this.#router.unavailable(to)) {
        refuse({ condition: NOT_FOUND, description: UNAVAILABLE_DELIVERY });
        return;
      }
      address = this.#router.producerKey(to);
    }
    if (this.settings && !this.#userIdAllowed(message.user_id)) {
      refuse({ condition: UNAUTHORIZED, description: "user_id proxy violation" });
      return;
    }
    const payload = encodeMessage(message);
    const limit = this.maxMessageSize;
    if (limit > 0 && payload.length > limit) {
      // qdrouterd rejects the delivery, closes the link and closes the whole connection.
      this.#router.policyCounters.maxMessageSizeDenied++;
      refuse({ condition: MESSAGE_SIZE_EXCEEDED, description: OVERSIZE_DESCRIPTION });
      producer.receiver.close();
      this.connection.close({ condition: CONNECTION_FORCED, description: OVERSIZE_DESCRIPTION });
      this.closed();
      return;
    }
    this.#router.route({
      payload,
      presettled,
      address,
      ingress: this.#router.id,
      ...(producer.address !== undefined ? { producer } : {}),
      complete: producer.admit(delivery, presettled),
    });
  }

  /** Under a policy a message's user-id must be empty or the connection's own user. */
  #userIdAllowed(userId: unknown): boolean {
    if (userId === undefined || userId === null) return true;
    const text = Buffer.isBuffer(userId) ? userId.toString("utf8") : String(userId);
    return text === "" || text === this.user;
  }

  linkClosed(link: Sender | Receiver): void {
    this.#policySenders.delete(link as Receiver);
    this.#policyReceivers.delete(link as Sender);
    const closer = this.#linkClosers.get(link);
    this.#linkClosers.delete(link);
    closer?.();
  }

  /** Connection gone (closed, dropped or router stopped): every link is cleaned up. */
  closed(): void {
    this.#closed = true;
    this.#release();
    for (const closer of this.#linkClosers.values()) closer();
    this.#linkClosers.clear();
  }
}
