import type { Diagnostic } from "../../diagnostics.ts";
import { START_OF_FILE } from "../../yaml/position.ts";
import type { ChannelRegistry, RegisteredChannel, RegisteredTeam } from "../model.ts";
import { addressSegments, segmentsOverlap } from "../prefix.ts";
import { introducers, type RegistryOwners } from "./ownership.ts";
import type { RegistryPlaces } from "./place.ts";

/**
 * A team name may be declared by one document only. The document the last good registry did
 * not declare it in is the one reported; without a last good registry, both are.
 */
export function checkDuplicateTeams(
  registry: ChannelRegistry,
  places: RegistryPlaces,
  lastGood?: RegistryOwners,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const byName = new Map<string, RegisteredTeam[]>();
  for (const team of registry.teams)
    byName.set(team.team, [...(byName.get(team.team) ?? []), team]);
  const place = (team: RegisteredTeam) => {
    const at = team.locate?.(["team"]) ?? START_OF_FILE;
    return `${team.file}:${at.line}:${at.column}`;
  };
  for (const [name, teams] of byName) {
    if (teams.length < 2) continue;
    const heldBy = lastGood?.teamFiles.get(name);
    const fresh = teams.filter((t) => t.file !== heldBy);
    for (const team of fresh.length > 0 && fresh.length < teams.length ? fresh : teams) {
      const others = teams.filter((t) => t !== team).map(place);
      diagnostics.push(
        places.atTeam(team, ["team"], {
          code: "registry/duplicate-team",
          message: `team '${name}' is already declared in ${others.join(", ")}`,
          hint:
            heldBy !== undefined && team.file !== heldBy
              ? `team '${name}' is declared in ${heldBy} (the last good registry): give the team of this document its own name`
              : "merge the two documents into one, or give this team another name",
        }),
      );
    }
  }
  return diagnostics;
}

function separatorNote(a: string, b: string): string {
  if (a === b) return "";
  if (a.toLowerCase() === b.toLowerCase())
    return ` as '${b}' (addresses that differ only in case are refused as look-alikes)`;
  return ` as '${b}' ('.' and '/' are the same separator to the router)`;
}

/**
 * Every address names one channel (a duplicate is an error even inside one team), and no
 * team's address may lie inside or over another team's prefix: the router would match both.
 * Addresses are compared by segments (`.` = `/`) and, across teams, with case folded. A
 * conflict between teams is reported on the document that introduced it: the channel the
 * last good registry did not hold (config-sync's gate), or, without one, on both.
 */
export function checkAddressOverlaps(
  registry: ChannelRegistry,
  places: RegistryPlaces,
  lastGood?: RegistryOwners,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const channels = registry.channels;
  const segments = channels.map((c) => addressSegments(c.address.toLowerCase()));
  const overlapping = overlapIndex(segments);
  for (const [index, channel] of channels.entries()) {
    const own = segments[index]!;
    for (const earlierIndex of overlapping(index)) {
      const earlier = channels[earlierIndex]!;
      const other = segments[earlierIndex]!;
      if (channel.owner === earlier.owner) {
        if (own.length === other.length)
          diagnostics.push(
            places.atChannel(channel, ["address"], {
              code: "registry/duplicate-address",
              message: `address '${channel.address}' is already declared by team '${earlier.owner}'${separatorNote(channel.address, earlier.address)} at ${places.where(earlier)}`,
              hint: "rename one of the two channels; every channel needs its own address",
            }),
          );
        continue;
      }
      const claims = introducers(
        { owner: channel.owner, key: keyOf(own), channel },
        { owner: earlier.owner, key: keyOf(other), channel: earlier },
        lastGood?.addresses,
      );
      for (const [reported, by] of claims)
        diagnostics.push(crossTeamConflict(reported.channel, by.channel, registry, places));
    }
  }
  return diagnostics;
}

/** An address of `team` with the channel's last segment, when no other team's channel overlaps it. */
function suggestedAddress(
  channel: RegisteredChannel,
  registry: ChannelRegistry,
): string | undefined {
  const last = addressSegments(channel.address).at(-1);
  if (last === undefined) return undefined;
  const candidate = `${channel.owner}/${last.toLowerCase() === channel.owner ? "events" : last}`;
  const key = addressSegments(candidate.toLowerCase());
  const taken = registry.channels.some(
    (c) =>
      c.owner !== channel.owner && segmentsOverlap(addressSegments(c.address.toLowerCase()), key),
  );
  return taken ? undefined : candidate;
}

/** The conflict as the team of `reported` must fix it: its own address against the other team's. */
function crossTeamConflict(
  reported: RegisteredChannel,
  other: RegisteredChannel,
  registry: ChannelRegistry,
  places: RegistryPlaces,
): Diagnostic {
  const own = addressSegments(reported.address).length;
  const theirs = addressSegments(other.address).length;
  const suggestion = suggestedAddress(reported, registry);
  const instead = suggestion === undefined ? "" : ` (e.g. '${suggestion}')`;
  const hint = `use an address of team '${reported.owner}' that no channel of team '${other.owner}' lies in or under${instead}, or ask team '${other.owner}' to register this channel`;
  if (own === theirs)
    return places.atChannel(reported, ["address"], {
      code: "registry/duplicate-address",
      message: `address '${reported.address}' of team '${reported.owner}' is already declared by team '${other.owner}'${separatorNote(reported.address, other.address)} at ${places.where(other)}`,
      hint,
    });
  return places.atChannel(reported, ["address"], {
    code: "registry/prefix-overlap",
    message:
      own > theirs
        ? `address '${reported.address}' of team '${reported.owner}' lies inside prefix '${other.address}' owned by team '${other.owner}' at ${places.where(other)}`
        : `prefix '${reported.address}' of team '${reported.owner}' covers address '${other.address}' owned by team '${other.owner}' (the router would match both) at ${places.where(other)}`,
    hint,
  });
}

function keyOf(segments: readonly string[], length = segments.length): string {
  return segments.slice(0, length).join("/");
}

function push(map: Map<string, number[]>, key: string, index: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [index]);
  else list.push(index);
}

/**
 * For each channel, the earlier channels (lower index, ascending) whose address overlaps its
 * own — what comparing it with every earlier one finds, from two maps instead: addresses by
 * their segments, and by each of their proper prefixes. An address overlaps the ones that
 * are a prefix of it (itself included) and the longer ones it is a prefix of.
 */
function overlapIndex(segments: readonly (readonly string[])[]): (index: number) => number[] {
  const exact = new Map<string, number[]>();
  const below = new Map<string, number[]>();
  for (const [index, own] of segments.entries()) {
    push(exact, keyOf(own), index);
    for (let length = 0; length < own.length; length++) push(below, keyOf(own, length), index);
  }
  return (index) => {
    const own = segments[index]!;
    const found: number[] = [];
    for (let length = 0; length <= own.length; length++)
      for (const other of exact.get(keyOf(own, length)) ?? []) if (other < index) found.push(other);
    for (const other of below.get(keyOf(own)) ?? []) if (other < index) found.push(other);
    return found.sort((a, b) => a - b);
  };
}
