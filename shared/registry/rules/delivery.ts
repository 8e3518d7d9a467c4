import type { Diagnostic } from "../../diagnostics.ts";
import type { ChannelRegistry } from "../model.ts";
import type { RegistryPlaces } from "./place.ts";

/**
 * The router settles multicast deliveries itself (it cannot wait for every receiver), so
 * at-least-once multicast needs a broker in the path.
 */
export function checkMulticastDelivery(
  registry: ChannelRegistry,
  places: RegistryPlaces,
): Diagnostic[] {
  return registry.channels
    .filter(
      (c) =>
        c.distribution === "multicast" &&
        c.delivery === "at-least-once" &&
        c.routing.kind === "message",
    )
    .map((channel) =>
      places.atChannel(channel, ["delivery"], {
        code: "registry/multicast-at-least-once",
        message: `channel '${channel.address}' is multicast and at-least-once, but the router settles multicast messages itself and cannot give at-least-once without a broker`,
        hint: "use at-most-once or a broker route (routing: { kind: broker, broker: <name> })",
      }),
    );
}

/**
 * A broker channel gives each message to one consumer: on qdrouterd its consumers are
 * link-routed to one queue and compete; on skupper-router the generator makes its addresses
 * balanced, so that a message enters the queue once (one interior's out autoLink, not a copy
 * through each) — shared/router-config/README.md "Broker channels". So `multicast` has no
 * effect there, which validate says rather than leaving it to be found out.
 */
export function checkBrokerMulticast(
  registry: ChannelRegistry,
  places: RegistryPlaces,
): Diagnostic[] {
  return registry.channels
    .filter((c) => c.distribution === "multicast" && c.routing.kind === "broker")
    .map((channel) =>
      places.atChannel(channel, ["distribution"], {
        severity: "warning",
        code: "registry/broker-multicast",
        message: `channel '${channel.address}' is multicast and routed through a broker, but a queue gives each message to one consumer: its consumers compete (qpid-dispatch link routes) or it is generated balanced (skupper-router), never a copy per consumer`,
        hint: "declare it balanced; for a copy per consumer, give each consumer a channel of its own (or use a message channel, at-most-once)",
      }),
    );
}

/** A channel nobody may publish to or consume from is probably unfinished. */
export function checkParties(registry: ChannelRegistry, places: RegistryPlaces): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const channel of registry.channels) {
    for (const side of ["producers", "consumers"] as const) {
      if (channel[side].length > 0) continue;
      diagnostics.push(
        places.atChannel(channel, [side], {
          severity: "warning",
          code: `registry/no-${side}`,
          message: `channel '${channel.address}' has no ${side}: nobody may ${side === "producers" ? "publish to" : "consume from"} it`,
          hint: `list the teams or principals that may ${side === "producers" ? "publish" : "consume"} (${side}: [team-a, principal-b])`,
        }),
      );
    }
  }
  return diagnostics;
}
