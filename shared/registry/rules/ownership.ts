/**
 * Who owns what a team file can claim — a name (team or principal), an address, a broker
 * queue — and where a conflict is reported: on the document that introduced it. With the
 * last good registry (config-sync's gate) that is the claim the last good registry did not
 * hold; without one (`validate`) both claims are reported, each naming the other. A change
 * that hands an owned thing to another team in one step is refused at the gate.
 */
import type { Diagnostic } from "../../diagnostics.ts";
import { START_OF_FILE } from "../../yaml/position.ts";
import type { ChannelRegistry, RegisteredChannel, RegisteredTeam } from "../model.ts";
import { partyNameKey } from "../parties.ts";
import { addressSegments } from "../prefix.ts";
import type { RegistryPlaces } from "./place.ts";

/** The owner (team name) of each name, address and queue of a registry, by comparison key. */
export interface RegistryOwners {
  /** The file that declares each team. */
  teamFiles: Map<string, string>;
  names: Map<string, string>;
  addresses: Map<string, string>;
  queues: Map<string, string>;
}

/** An address as compared across teams: its segments, case folded (look-alikes are refused). */
export function ownedAddressKey(address: string): string {
  return addressSegments(address.toLowerCase()).join("/");
}

/** A broker queue as compared across channels: broker and queue name, case folded. */
export function queueKey(channel: RegisteredChannel): string | undefined {
  const routing = channel.routing;
  if (routing.kind !== "broker") return undefined;
  return `${routing.broker}\n${(routing.queue ?? channel.address).toLowerCase()}`;
}

function queueName(channel: RegisteredChannel): string {
  return channel.routing.kind === "broker"
    ? (channel.routing.queue ?? channel.address)
    : channel.address;
}

/** Every owner of each key (a conflict has several). */
function allOwners(registry: ChannelRegistry): {
  names: Map<string, Set<string>>;
  addresses: Map<string, Set<string>>;
  queues: Map<string, Set<string>>;
} {
  const owners = { names: new Map(), addresses: new Map(), queues: new Map() };
  const add = (map: Map<string, Set<string>>, key: string, owner: string) => {
    const set = map.get(key);
    if (set === undefined) map.set(key, new Set([owner]));
    else set.add(owner);
  };
  for (const team of registry.teams) {
    add(owners.names, partyNameKey(team.team), team.team);
    for (const principal of team.principals) add(owners.names, partyNameKey(principal), team.team);
  }
  for (const channel of registry.channels) {
    add(owners.addresses, ownedAddressKey(channel.address), channel.owner);
    const queue = queueKey(channel);
    if (queue !== undefined) add(owners.queues, queue, channel.owner);
  }
  return owners;
}

export function registryOwners(registry: ChannelRegistry): RegistryOwners {
  const owners: RegistryOwners = {
    teamFiles: new Map(),
    names: new Map(),
    addresses: new Map(),
    queues: new Map(),
  };
  const first = (map: Map<string, string>, key: string, owner: string) => {
    if (!map.has(key)) map.set(key, owner);
  };
  for (const team of registry.teams) {
    first(owners.teamFiles, team.team, team.file);
    first(owners.names, partyNameKey(team.team), team.team);
    for (const principal of team.principals)
      first(owners.names, partyNameKey(principal), team.team);
  }
  for (const channel of registry.channels) {
    first(owners.addresses, ownedAddressKey(channel.address), channel.owner);
    const queue = queueKey(channel);
    if (queue !== undefined) first(owners.queues, queue, channel.owner);
  }
  return owners;
}

/**
 * Of two conflicting claims of different teams, the ones to report: those the last good
 * registry did not hold (the introducers); both when there is no last good registry, or when
 * it held both or neither.
 */
export function introducers<T extends { owner: string; key: string }>(
  a: T,
  b: T,
  lastGood: Map<string, string> | undefined,
): [reported: T, other: T][] {
  const both: [T, T][] = [
    [a, b],
    [b, a],
  ];
  if (lastGood === undefined) return both;
  const held = (claim: T) => lastGood.get(claim.key) === claim.owner;
  const fresh = both.filter(([claim]) => !held(claim));
  return fresh.length === 0 ? both : fresh;
}

interface NameClaim {
  owner: string;
  key: string;
  name: string;
  kind: "team" | "principal";
  team: RegisteredTeam;
  path: (string | number)[];
}

function teamPlace(claim: NameClaim): string {
  const at = claim.team.locate?.(claim.path) ?? START_OF_FILE;
  return `${claim.team.file}:${at.line}:${at.column}`;
}

function describeClaim(claim: NameClaim): string {
  return claim.kind === "team"
    ? `team '${claim.name}'`
    : `principal '${claim.name}' of team '${claim.owner}'`;
}

/**
 * Team names and principal names share one namespace: a producers/consumers entry must mean
 * one thing. A principal named like a team (or like another team's principal, case ignored)
 * is an error naming both files.
 */
export function checkNameCollisions(
  registry: ChannelRegistry,
  places: RegistryPlaces,
  lastGood?: RegistryOwners,
): Diagnostic[] {
  const byKey = new Map<string, NameClaim[]>();
  const add = (claim: NameClaim) => {
    const list = byKey.get(claim.key);
    if (list === undefined) byKey.set(claim.key, [claim]);
    else list.push(claim);
  };
  for (const team of registry.teams) {
    const base = { owner: team.team, team };
    add({ ...base, key: partyNameKey(team.team), name: team.team, kind: "team", path: ["team"] });
    for (const [index, principal] of team.principals.entries())
      add({
        ...base,
        key: partyNameKey(principal),
        name: principal,
        kind: "principal",
        path: ["principals", index],
      });
  }
  const diagnostics: Diagnostic[] = [];
  for (const claims of byKey.values()) {
    for (const [i, a] of claims.entries()) {
      for (const b of claims.slice(i + 1)) {
        // Same team: a team may name a principal after itself; two teams of one name are
        // registry/duplicate-team.
        if (a.owner === b.owner) continue;
        for (const [reported, other] of introducers(a, b, lastGood?.names)) {
          const bothPrincipals = reported.kind === "principal" && other.kind === "principal";
          diagnostics.push(
            places.atTeam(reported.team, reported.path, {
              code: bothPrincipals ? "registry/duplicate-principal" : "registry/name-collision",
              message: `${describeClaim(reported)} has the name of ${describeClaim(other)} (${teamPlace(other)}; case is ignored): a producers/consumers entry '${other.name}' would not say which one it means`,
              hint: bothPrincipals
                ? `a principal acts for one team: rename it, or remove it from one of the two teams`
                : `team names and principal names share one namespace: rename ${describeClaim(reported)}`,
            }),
          );
        }
      }
    }
  }
  return diagnostics;
}

/**
 * A broker queue (broker and queue name) belongs to exactly one channel of one team: two
 * channels on one queue would receive each other's messages (a team naming another's queue
 * reads its data and can forge it).
 */
export function checkQueueOwnership(
  registry: ChannelRegistry,
  places: RegistryPlaces,
  lastGood?: RegistryOwners,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const byKey = new Map<string, RegisteredChannel>();
  for (const channel of registry.channels) {
    const key = queueKey(channel);
    if (key === undefined) continue;
    const earlier = byKey.get(key);
    if (earlier === undefined) {
      byKey.set(key, channel);
      continue;
    }
    const pairs: [RegisteredChannel, RegisteredChannel][] =
      earlier.owner === channel.owner
        ? [[channel, earlier]]
        : introducers(
            { owner: channel.owner, key, channel },
            { owner: earlier.owner, key, channel: earlier },
            lastGood?.queues,
          ).map(([a, b]) => [a.channel, b.channel]);
    for (const [reported, other] of pairs) {
      const broker = reported.routing.kind === "broker" ? reported.routing.broker : "";
      diagnostics.push(
        places.atChannel(reported, ["routing", "queue"], {
          code: "registry/queue-taken",
          message: `channel '${reported.address}' of team '${reported.owner}' routes to queue '${queueName(reported)}' on broker '${broker}', which channel '${other.address}' of team '${other.owner}' uses (${places.where(other)}; case is ignored): both would take each other's messages`,
          hint:
            reported.owner === other.owner
              ? "give each channel its own queue"
              : `a queue belongs to one channel of one team: name a queue of team '${reported.owner}' (e.g. '${reported.owner}-${addressSegments(reported.address).at(-1) ?? "queue"}')`,
        }),
      );
    }
  }
  return diagnostics;
}

/**
 * Against the last good registry: a name, address or queue that belonged to one team and
 * now belongs to another, while the old owner no longer claims it (otherwise it is a
 * conflict, reported by the rules above). A hand-over takes two changes: the old owner
 * removes it (and config-sync applies that), then the new owner adds it.
 */
export function checkOwnerChanges(
  registry: ChannelRegistry,
  places: RegistryPlaces,
  lastGood: RegistryOwners,
): Diagnostic[] {
  const now = allOwners(registry);
  const diagnostics: Diagnostic[] = [];
  const moved = (
    map: Map<string, string>,
    current: Map<string, Set<string>>,
    key: string,
    owner: string,
  ) => {
    const before = map.get(key);
    return before !== undefined && before !== owner && !current.get(key)?.has(before);
  };
  const hint = (what: string, before: string) =>
    `a hand-over takes two changes: team '${before}' removes ${what} and config-sync applies it, then the new team adds it`;
  for (const team of registry.teams) {
    const names: [string, (string | number)[]][] = [
      [team.team, ["team"]],
      ...team.principals.map((p, i): [string, (string | number)[]] => [p, ["principals", i]]),
    ];
    for (const [name, path] of names) {
      const key = partyNameKey(name);
      if (!moved(lastGood.names, now.names, key, team.team)) continue;
      const before = lastGood.names.get(key)!;
      diagnostics.push(
        places.atTeam(team, path, {
          code: "registry/owner-changed",
          message: `name '${name}' belonged to team '${before}' in the last good registry; this change gives it to team '${team.team}'`,
          hint: hint(`'${name}'`, before),
        }),
      );
    }
  }
  for (const channel of registry.channels) {
    const addressKey = ownedAddressKey(channel.address);
    if (moved(lastGood.addresses, now.addresses, addressKey, channel.owner)) {
      const before = lastGood.addresses.get(addressKey)!;
      diagnostics.push(
        places.atChannel(channel, ["address"], {
          code: "registry/owner-changed",
          message: `address '${channel.address}' belonged to team '${before}' in the last good registry; this change gives it to team '${channel.owner}'`,
          hint: hint(`channel '${channel.address}'`, before),
        }),
      );
    }
    const queue = queueKey(channel);
    if (queue !== undefined && moved(lastGood.queues, now.queues, queue, channel.owner)) {
      const before = lastGood.queues.get(queue)!;
      diagnostics.push(
        places.atChannel(channel, ["routing", "queue"], {
          code: "registry/owner-changed",
          message: `queue '${queueName(channel)}' belonged to team '${before}' in the last good registry; this change gives it to team '${channel.owner}' (channel '${channel.address}')`,
          hint: hint(`its channel on queue '${queueName(channel)}'`, before),
        }),
      );
    }
  }
  return diagnostics;
}

/**
 * A team's name is its namespace: an address whose first segment is another team's name
 * (case folded) is refused, also where that team has no channel yet (it would be squatting
 * on addresses the other team's producers and consumers expect to be that team's). Reported
 * on the channel, and — without a last good registry to say which came first, or when the
 * team is the newcomer — on the other team's name, each naming the other.
 */
export function checkForeignNamespaces(
  registry: ChannelRegistry,
  places: RegistryPlaces,
  lastGood?: RegistryOwners,
): Diagnostic[] {
  const teams = new Map<string, RegisteredTeam>();
  for (const team of registry.teams) if (!teams.has(team.team)) teams.set(team.team, team);
  const diagnostics: Diagnostic[] = [];
  for (const channel of registry.channels) {
    const first = addressSegments(channel.address.toLowerCase())[0];
    if (first === undefined || first === channel.owner) continue;
    const team = teams.get(first);
    if (team === undefined) continue;
    const channelHeld = lastGood?.addresses.get(ownedAddressKey(channel.address)) === channel.owner;
    const teamHeld = lastGood?.teamFiles.get(team.team) === team.file;
    const onChannel = lastGood === undefined || !channelHeld || teamHeld;
    const onTeam = lastGood === undefined || !teamHeld;
    const teamAt = team.locate?.(["team"]) ?? START_OF_FILE;
    if (onChannel)
      diagnostics.push(
        places.atChannel(channel, ["address"], {
          code: "registry/foreign-namespace",
          message: `address '${channel.address}' of team '${channel.owner}' starts with '${team.team}', the name of team '${team.team}' (${team.file}:${teamAt.line}:${teamAt.column})`,
          hint: `a team's name is its namespace: use an address starting with '${channel.owner}/'`,
        }),
      );
    if (onTeam)
      diagnostics.push(
        places.atTeam(team, ["team"], {
          code: "registry/foreign-namespace",
          message: `team '${team.team}' is named like the first segment of address '${channel.address}' of team '${channel.owner}' (${places.where(channel)})`,
          hint: "a team's name is its namespace: give this team a name no other team's addresses start with",
        }),
      );
  }
  return diagnostics;
}
