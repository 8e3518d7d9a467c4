import type { Diagnostic } from "../../diagnostics.ts";
import type { Topology } from "../../topology/schema.ts";
import { didYouMean } from "../../yaml/suggest.ts";
import type { ChannelRegistry, RegisteredChannel } from "../model.ts";
import { addressKey, sameAddress } from "../prefix.ts";
import type { RegistryPlaces } from "./place.ts";

function listOrNone(names: readonly string[]): string {
  return names.length > 0 ? names.join(", ") : "(none)";
}

/** Producers and consumers are team names or principals some team declared. */
export function checkPartyReferences(
  registry: ChannelRegistry,
  places: RegistryPlaces,
): Diagnostic[] {
  const teams = registry.teams.map((t) => t.team);
  const known = [...teams, ...registry.teams.flatMap((t) => t.principals)];
  const isKnown = new Set(known);
  const diagnostics: Diagnostic[] = [];
  for (const channel of registry.channels) {
    for (const side of ["producers", "consumers"] as const) {
      for (const [index, party] of channel[side].entries()) {
        if (isKnown.has(party)) continue;
        diagnostics.push(
          places.atChannel(channel, [side, index], {
            code: "registry/unknown-party",
            message: `${side === "producers" ? "producer" : "consumer"} '${party}' of channel '${channel.address}' is neither a team nor a principal of any team${didYouMean(party, known)}`,
            hint: `use a team (${listOrNone(teams)}) or add '${party}' to the principals of the team it acts for`,
          }),
        );
      }
    }
  }
  return diagnostics;
}

/**
 * A dead-letter channel must be another registered channel of the same team: failed messages
 * are the owning team's data, and whoever may send to the channel may send to its dead letters.
 */
export function checkDeadLetters(registry: ChannelRegistry, places: RegistryPlaces): Diagnostic[] {
  const registered = new Map<string, RegisteredChannel>();
  for (const c of registry.channels)
    if (!registered.has(addressKey(c.address))) registered.set(addressKey(c.address), c);
  const diagnostics: Diagnostic[] = [];
  for (const channel of registry.channels) {
    const deadLetter = channel.deadLetter;
    if (deadLetter === undefined) continue;
    if (sameAddress(deadLetter, channel.address)) {
      diagnostics.push(
        places.atChannel(channel, ["deadLetter"], {
          code: "registry/dead-letter-self",
          message: `channel '${channel.address}' names itself as its dead-letter channel`,
          hint: `register a separate channel, e.g. '${channel.address}.dead', and name it here`,
        }),
      );
    } else if (registered.has(addressKey(deadLetter))) {
      const target = registered.get(addressKey(deadLetter))!;
      if (target.owner !== channel.owner)
        diagnostics.push(
          places.atChannel(channel, ["deadLetter"], {
            code: "registry/dead-letter-other-team",
            message: `dead-letter channel '${deadLetter}' of '${channel.address}' belongs to team '${target.owner}' (${places.where(target)}), not to team '${channel.owner}'`,
            hint: `register a dead-letter channel of team '${channel.owner}', e.g. '${channel.address}.dead', and name it here`,
          }),
        );
    } else {
      const addresses = registry.channels.map((c) => c.address);
      diagnostics.push(
        places.atChannel(channel, ["deadLetter"], {
          code: "registry/unknown-dead-letter",
          message: `dead-letter channel '${deadLetter}' of '${channel.address}' is not a registered channel${didYouMean(deadLetter, addresses)}`,
          hint: `register a channel with address '${deadLetter}' (owned by team '${channel.owner}'), or name an existing one`,
        }),
      );
    }
  }
  return diagnostics;
}

/** Brokers and environments named by channels exist in the topology. */
export function checkTopologyReferences(
  registry: ChannelRegistry,
  topology: Topology,
  places: RegistryPlaces,
): Diagnostic[] {
  const brokers = topology.brokers.map((b) => b.name);
  const environments = topology.environments.map((e) => e.name);
  const diagnostics: Diagnostic[] = [];
  for (const channel of registry.channels) {
    if (channel.routing.kind === "broker" && !brokers.includes(channel.routing.broker)) {
      const broker = channel.routing.broker;
      diagnostics.push(
        places.atChannel(channel, ["routing", "broker"], {
          code: "registry/unknown-broker",
          message: `channel '${channel.address}' routes through broker '${broker}', which the topology does not declare${didYouMean(broker, brokers)}`,
          hint: `use a broker of the topology (${listOrNone(brokers)}) or declare '${broker}' under brokers: in topology.yaml`,
        }),
      );
    }
    for (const [index, environment] of (channel.environments ?? []).entries()) {
      if (environments.includes(environment)) continue;
      diagnostics.push(
        places.atChannel(channel, ["environments", index], {
          code: "registry/unknown-environment",
          message: `environment '${environment}' of channel '${channel.address}' is not in the topology${didYouMean(environment, environments)}`,
          hint: `use an environment of the topology (${listOrNone(environments)}) or remove it`,
        }),
      );
    }
  }
  return diagnostics;
}
