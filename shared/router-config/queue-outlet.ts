import type { ChannelRegistry, RegisteredChannel } from "../registry/model.ts";
import type { RouterFlavour } from "../router-vocabulary/index.ts";
import { FLAVOUR_FACTS } from "../router-vocabulary/index.ts";

/**
 * Where a broker channel's consumers attach on a router without link routes (skupper-router).
 * Producers send to the channel's address, whose out autoLink puts each message in the queue;
 * the queue's in autoLink brings it onto this second, platform-owned address, which only the
 * channel's consumers may receive from. One address for both autoLinks would make the
 * out-autoLink a consumer of what the in-autoLink brings: the queue's messages would go
 * straight back to it (README "Broker channels").
 *
 * The prefix starts with '_', which no registered address may (registry ADDRESS_PATTERN), so
 * no team can register, send to or be granted an outlet; it is not one of the routers' own
 * prefixes (`_local/`, `_topo/`, `_edge/`), so the routers treat it as any mobile address.
 */
export const QUEUE_OUTLET_PREFIX = "_amqp-mesh/from-queue/";

/** The outlet address of a broker channel's queue: `_amqp-mesh/from-queue/<address>`. */
export function queueOutletAddress(address: string): string {
  return `${QUEUE_OUTLET_PREFIX}${address}`;
}

/** Whether the channel is brought to its consumers through a queue outlet on this flavour. */
export function hasQueueOutlet(channel: RegisteredChannel, flavour: RouterFlavour): boolean {
  return channel.routing.kind === "broker" && !FLAVOUR_FACTS[flavour].linkRoutes;
}

/**
 * The address a consumer of `channel` attaches to: the outlet for a broker channel on
 * skupper-router, the channel's own address everywhere else (qdrouterd link-routes it).
 */
export function consumerAddressOf(channel: RegisteredChannel, flavour: RouterFlavour): string {
  return hasQueueOutlet(channel, flavour) ? queueOutletAddress(channel.address) : channel.address;
}

/**
 * Channel address → the address its consumers attach to, for every channel whose consumers
 * attach elsewhere on this flavour: the shared client's `consumerAddresses` (so a team still
 * consumes `billing/invoices` by that name). Empty on qpid-dispatch.
 */
export function consumerAddresses(
  registry: ChannelRegistry,
  flavour: RouterFlavour,
): Record<string, string> {
  const map: Record<string, string> = {};
  for (const channel of registry.channels)
    if (hasQueueOutlet(channel, flavour))
      map[channel.address] = queueOutletAddress(channel.address);
  return map;
}
