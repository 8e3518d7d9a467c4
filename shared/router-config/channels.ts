import type { ChannelRegistry, RegisteredChannel } from "../registry/model.ts";
import { partyResolver } from "../registry/parties.ts";
import { FLAVOUR_FACTS } from "../router-vocabulary/index.ts";
import type { Router, Topology } from "../topology/index.ts";
import { brokersHeldBy } from "./connections.ts";
import type { DiagnosticSink } from "./diagnostic-sink.ts";
import type { EntityAttributes, RouterConfig, RouterEntity } from "./model.ts";
import { generatedName } from "./names.ts";
import { queueOutletAddress } from "./queue-outlet.ts";
import { routersInScope } from "./scope.ts";

/**
 * The channel entities of one router, given the channels in its scope (see isInScope): an
 * address per channel, and for broker channels the routes to the broker.
 *
 * qpid-dispatch gets a linkRoute pair on every interior in the channel's scope, so any
 * interior can route an attach to the broker; only the interiors holding the broker
 * connector name it in `connection` (the others learn the route from the routing protocol;
 * edge routers ask their interior). skupper-router has neither link routing nor address
 * phases, and an out/in autoLink pair on one address sends the queue's messages straight back
 * to the queue (seen on skupper-router 3.5.1: one message went to the broker ~22,900 times in
 * 10 s; test/conformance/broker.test.ts). There the channel gets two addresses: its own, whose
 * out autoLink puts what producers send into the queue, and the queue's outlet
 * (queue-outlet.ts), which the in autoLink feeds and the consumers read; both autoLinks sit on
 * the interiors holding the broker connector.
 */
export function channelEntities(
  channels: RegisteredChannel[],
  router: Router,
  topology: Topology,
  flavour: RouterConfig["flavour"],
): RouterEntity[] {
  const addresses: RouterEntity[] = [];
  const routes: RouterEntity[] = [];
  const facts = FLAVOUR_FACTS[flavour];
  const held = brokersHeldBy(router, topology).map((b) => b.name);
  for (const channel of channels) {
    const routing = channel.routing;
    if (routing.kind !== "broker" || facts.linkRoutes) {
      addresses.push(addressEntity(channel));
    } else {
      addresses.push(...outletAddressEntities(channel));
    }
    if (routing.kind !== "broker" || router.mode !== "interior") continue;
    const queue = brokerAddress(topology, routing.broker, routing.queue ?? channel.address);
    const connection = held.includes(routing.broker)
      ? generatedName.brokerConnector(routing.broker)
      : undefined;
    if (facts.linkRoutes) {
      for (const direction of ["in", "out"] as const)
        routes.push(linkRoute(channel.address, direction, queue, connection));
    } else if (connection !== undefined) {
      routes.push(...queueAutoLinks(channel.address, queue, connection));
    }
  }
  return [...addresses, ...routes];
}

/**
 * A channel's address entity, kept per channel object: it depends on the address and the
 * distribution alone, and a registry file that did not change gives the same channel objects
 * (config-sync's loader keeps them), so the next generation hands the planner the very same
 * entity, compared at a glance. Entities are never changed once generated.
 */
const addressEntities = new WeakMap<RegisteredChannel, RouterEntity>();

function addressEntity(channel: RegisteredChannel): RouterEntity {
  const kept = addressEntities.get(channel);
  if (
    kept !== undefined &&
    kept.attributes.prefix === channel.address &&
    kept.attributes.distribution === channel.distribution
  )
    return kept;
  const entity: RouterEntity = {
    type: "address",
    attributes: {
      name: generatedName.address(channel.address),
      prefix: channel.address,
      distribution: channel.distribution,
    },
  };
  addressEntities.set(channel, entity);
  return entity;
}

/**
 * A broker channel's two addresses on skupper-router: its own (producers, to the queue) and
 * the queue's outlet (from the queue, to consumers). Both anycast: a multicast address would
 * put a copy into the queue through every interior's out autoLink, and a queue gives each
 * message to one consumer anyway (as qdrouterd's link-routed consumers compete). So a
 * multicast broker channel is generated balanced here (checkChannel warns).
 */
function outletAddressEntities(channel: RegisteredChannel): RouterEntity[] {
  const distribution = channel.distribution === "multicast" ? "balanced" : channel.distribution;
  return [channel.address, queueOutletAddress(channel.address)].map((prefix) => ({
    type: "address",
    attributes: { name: generatedName.address(prefix), prefix, distribution },
  }));
}

/**
 * The out autoLink (the channel's address → the queue) and the in autoLink (the queue → its
 * outlet), on an interior holding the broker connection. No `phase`: skupper-router has none.
 */
function queueAutoLinks(address: string, queue: string, connection: string): RouterEntity[] {
  const autoLink = (direction: "in" | "out", on: string): RouterEntity => ({
    type: "autoLink",
    attributes: {
      name: generatedName.autoLink(address, direction),
      address: on,
      direction,
      connection,
      externalAddress: queue,
    },
  });
  return [autoLink("out", address), autoLink("in", queueOutletAddress(address))];
}

/**
 * The address the broker knows the queue by. RabbitMQ's AMQP 1.0 plugin (3.x; still
 * accepted by 4.x) reaches a queue as `/queue/<name>`, declaring it on attach; a bare name
 * would be taken as an exchange-less target and its messages dropped. Addresses that start
 * with '/' are taken as written.
 */
function brokerAddress(topology: Topology, brokerName: string, queue: string): string {
  const broker = topology.brokers.find((b) => b.name === brokerName);
  if (broker?.flavour === "rabbitmq" && !queue.startsWith("/")) return `/queue/${queue}`;
  return queue;
}

/**
 * A link route for exactly the channel address. A `prefix` would also capture addresses
 * after a '.' (qdrouterd splits address tokens at '.' and '/'), e.g. the dead-letter channel
 * "billing/invoices.dead" of "billing/invoices"; a wildcard-free `pattern` matches only itself.
 */
function linkRoute(
  address: string,
  direction: "in" | "out",
  queue: string,
  connection: string | undefined,
): RouterEntity {
  const attributes: EntityAttributes = {
    name: generatedName.linkRoute(address, direction),
    pattern: address,
    direction,
  };
  if (connection !== undefined) attributes.connection = connection;
  // The broker knows the queue by another name: rewrite the address to the queue name.
  const rewrite = externalPrefixes(address, queue);
  if (rewrite?.del !== undefined) attributes.delExternalPrefix = rewrite.del;
  if (rewrite?.add !== undefined) attributes.addExternalPrefix = rewrite.add;
  return { type: "linkRoute", attributes };
}

/**
 * How a link route turns `address` into the broker's `external` address. qdrouterd rewrites
 * by prefixes only, and strips delExternalPrefix only from an address longer than it (1.19
 * src/router_core/terminus.c qdr_terminus_strip_address_prefix, `orig_len > prefix_len`;
 * with the whole address as the prefix nothing was stripped and the queue was never
 * reached, seen on qdrouterd 1.19.0). So the address keeps a tail the external address
 * ends with: their longest common ending. Undefined when they end differently.
 */
export function externalPrefixes(
  address: string,
  external: string,
): { del?: string; add?: string } | undefined {
  let common = 0;
  while (
    common < address.length &&
    common < external.length &&
    address[address.length - 1 - common] === external[external.length - 1 - common]
  ) {
    common++;
  }
  if (common === 0) return undefined;
  const del = address.slice(0, address.length - common);
  const add = external.slice(0, external.length - common);
  return { ...(del === "" ? {} : { del }), ...(add === "" ? {} : { add }) };
}

/**
 * Checks a channel against the topology and the flavour before generation, reporting what
 * cannot be generated (errors) and what a flavour can only approximate (warnings). Returns
 * false when the channel must be left out entirely.
 */
export function checkChannel(
  channel: RegisteredChannel,
  registry: ChannelRegistry,
  topology: Topology,
  flavour: RouterConfig["flavour"],
  sink: DiagnosticSink,
): boolean {
  const facts = FLAVOUR_FACTS[flavour];
  if (!facts.distributions.has(channel.distribution)) {
    sink.channel(
      channel,
      "error",
      "router-config/unknown-distribution",
      `channel '${channel.address}': ${flavour} does not know distribution '${channel.distribution}' (it would silently route it as balanced)`,
      `Use one of: ${[...facts.distributions].join(", ")}.`,
      ["distribution"],
    );
    return false;
  }
  // Validation refuses such entries; a registry that skipped it must not grant by accident.
  const parties = partyResolver(registry);
  const teams = new Set(registry.teams.map((t) => t.team));
  for (const role of ["producers", "consumers"] as const)
    channel[role].forEach((entry, index) => {
      if (parties.principalsOf(entry).length > 0 || teams.has(entry)) return;
      sink.channel(
        channel,
        "warning",
        "router-config/party-grants-nobody",
        `'${entry}' among the ${role} of channel '${channel.address}' stands for no principal a router can name (declared as both a team and a principal, or not a valid principal name: the router would read ',' or '*' in it), so it gets no access`,
        "Name a team or a principal (ASCII letters, digits, '_', '-', '@'), never both; run `amqp-mesh validate`.",
        [role, index],
      );
    });
  const inScope = routersInScope(channel, topology);
  if (inScope.length === 0) {
    sink.channel(
      channel,
      "warning",
      "router-config/no-router-in-scope",
      `channel '${channel.address}' is limited to environments with no routers; it appears on no router`,
      "Fix the channel's environments or add routers to those environments.",
      ["environments"],
    );
  }
  const routing = channel.routing;
  if (routing.kind !== "broker") return true;
  const broker = topology.brokers.find((b) => b.name === routing.broker);
  if (broker === undefined) {
    sink.channel(
      channel,
      "error",
      "router-config/unknown-broker",
      `channel '${channel.address}' routes through broker '${routing.broker}', which the topology does not define`,
      `Define broker '${routing.broker}' in the topology or name an existing one.`,
      ["routing", "broker"],
    );
    return false;
  }
  const holders = inScope.filter(
    (r) => r.mode === "interior" && r.environment === broker.environment,
  );
  if (holders.length === 0) {
    sink.channel(
      channel,
      "error",
      "router-config/broker-out-of-scope",
      `channel '${channel.address}': broker '${broker.name}' is in environment '${broker.environment}', where the channel has no interior router`,
      `Add '${broker.environment}' to the channel's environments (or give it interior routers).`,
      ["routing", "broker"],
    );
    return false;
  }
  const external = brokerAddress(topology, broker.name, routing.queue ?? channel.address);
  if (facts.linkRoutes && externalPrefixes(channel.address, external) === undefined) {
    sink.channel(
      channel,
      "error",
      "router-config/queue-unreachable-by-prefix",
      `channel '${channel.address}' routes to queue '${external}', but a qdrouterd link route can only strip a prefix of the address and add one: the queue name must end as the address does`,
      `Name the queue so that it ends with the address's last character(s), e.g. '${(routing.queue ?? "queue").replace(/.$/, "")}${channel.address.at(-1) ?? ""}', or leave queue out (the address itself).`,
      ["routing", "queue"],
    );
    return false;
  }
  if (!facts.linkRoutes && channel.distribution === "multicast") {
    sink.channel(
      channel,
      "warning",
      "router-config/broker-multicast-as-queue",
      `channel '${channel.address}' is multicast and routed through broker '${broker.name}': on skupper-router it is generated balanced, so that each message enters queue '${routing.queue ?? channel.address}' once (through one interior's out autoLink) and goes to one consumer, as qdrouterd's link-routed consumers of one queue compete`,
      "Declare the channel balanced (what a queue gives), or drop its broker routing for a multicast channel.",
      ["distribution"],
    );
  }
  return true;
}
