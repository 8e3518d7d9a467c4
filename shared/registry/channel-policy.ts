import type { ChannelRegistry, RegisteredChannel } from "./model.ts";
import { type PartyResolver, partyResolver } from "./parties.ts";
import { addressSegments } from "./prefix.ts";
import type { Delivery, Distribution } from "./schema.ts";

/**
 * What the registry says about the messages of one channel, for whoever enforces it at run
 * time (the ingress): the routers enforce `maxMessageSize` per connection only, and payload
 * schemas not at all.
 */
export interface ChannelPolicy {
  /** The channel's address as registered (the prefix the looked-up address fell under). */
  address: string;
  owner: string;
  version: number;
  distribution: Distribution;
  delivery: Delivery;
  /** Largest message in bytes. */
  maxMessageSize: number;
  replyTo: boolean;
  /** Principals (SASL user names) allowed to publish: team names resolved, sorted, unique. */
  producers: string[];
  /** Principals allowed to consume. */
  consumers: string[];
  /** The payload's JSON Schema (inline or from schemaFile); undefined when unchecked. */
  payloadSchema: Record<string, unknown> | undefined;
}

function policyOf(channel: RegisteredChannel, parties: PartyResolver): ChannelPolicy {
  return {
    address: channel.address,
    owner: channel.owner,
    version: channel.version,
    distribution: channel.distribution,
    delivery: channel.delivery,
    maxMessageSize: channel.maxMessageSize,
    replyTo: channel.replyTo,
    producers: parties.principalsIn(channel.producers),
    consumers: parties.principalsIn(channel.consumers),
    payloadSchema: channel.payloadSchema ?? channel.schema,
  };
}

/**
 * Resolves addresses to their channel the way the router resolves an address to its
 * configured prefix: by whole segments split at `.` or `/`, the longest registered prefix
 * winning (`sales/orders/eu` → `sales/orders`; `sales/orders.dead` → `sales/orders.dead`;
 * `salesforce` → none). Built once per registry; each lookup costs one map probe per segment.
 */
export class ChannelPolicies {
  private readonly byKey = new Map<string, ChannelPolicy>();

  constructor(registry: ChannelRegistry) {
    const parties = partyResolver(registry);
    // Duplicate addresses are a validation error; should one slip through, the first wins.
    for (const channel of registry.channels) {
      const key = addressSegments(channel.address).join("/");
      if (key !== "" && !this.byKey.has(key)) this.byKey.set(key, policyOf(channel, parties));
    }
  }

  /** The channel `address` belongs to, or undefined when no registered channel covers it. */
  lookup(address: string): ChannelPolicy | undefined {
    const segments = addressSegments(address);
    for (let length = segments.length; length > 0; length--) {
      const policy = this.byKey.get(segments.slice(0, length).join("/"));
      if (policy !== undefined) return policy;
    }
    return undefined;
  }

  /** Whether `principal` may publish to `address` by the registry. */
  mayProduce(principal: string, address: string): boolean {
    return this.lookup(address)?.producers.includes(principal) ?? false;
  }

  /** Whether `principal` may consume from `address` by the registry. */
  mayConsume(principal: string, address: string): boolean {
    return this.lookup(address)?.consumers.includes(principal) ?? false;
  }
}

/** One-off lookup; build a ChannelPolicies for many. */
export function channelPolicyFor(
  registry: ChannelRegistry,
  address: string,
): ChannelPolicy | undefined {
  return new ChannelPolicies(registry).lookup(address);
}
