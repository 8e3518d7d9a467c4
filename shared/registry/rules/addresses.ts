import type { Diagnostic } from "../../diagnostics.ts";
import { START_OF_FILE } from "../../yaml/position.ts";
import type { ChannelRegistry, RegisteredChannel, RegisteredTeam } from "../model.ts";
import { addressSegments } from "../prefix.ts";
import type { RegistryPlaces } from "./place.ts";

/** A team name may be declared by one document only. */
export function checkDuplicateTeams(
  registry: ChannelRegistry,
  places: RegistryPlaces,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const firstByName = new Map<string, RegisteredTeam>();
  for (const team of registry.teams) {
    const other = firstByName.get(team.team);
    if (other === undefined) {
      firstByName.set(team.team, team);
      continue;
    }
    const otherPlace = other.locate?.(["team"]) ?? START_OF_FILE;
    diagnostics.push(
      places.atTeam(team, ["team"], {
        code: "registry/duplicate-team",
        message: `team '${team.team}' is already declared in ${other.file}:${otherPlace.line}:${otherPlace.column}`,
        hint: `merge the two documents into one, or give this team another name`,
      }),
    );
  }
  return diagnostics;
}

function separatorNote(a: string, b: string): string {
  return a === b ? "" : ` as '${b}' ('.' and '/' are the same separator to the router)`;
}

/**
 * Every address names one channel (a duplicate is an error even inside one team), and no
 * team's address may lie inside another team's prefix: the router would match both.
 */
export function checkAddressOverlaps(
  registry: ChannelRegistry,
  places: RegistryPlaces,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const channels = registry.channels;
  const segments = channels.map((c) => addressSegments(c.address));
  const overlapping = overlapIndex(segments);
  for (const [index, channel] of channels.entries()) {
    const own = segments[index]!;
    for (const earlierIndex of overlapping(index)) {
      const earlier = channels[earlierIndex]!;
      const other = segments[earlierIndex]!;
      if (own.length === other.length) {
        diagnostics.push(
          places.atChannel(channel, ["address"], {
            code: "registry/duplicate-address",
            message: `address '${channel.address}' is already declared by team '${earlier.owner}'${separatorNote(channel.address, earlier.address)} at ${places.where(earlier)}`,
            hint: "rename one of the two channels; every channel needs its own address",
          }),
        );
      } else if (channel.owner !== earlier.owner) {
        diagnostics.push(overlap(channel, earlier, places));
      }
    }
  }
  return diagnostics;
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

function overlap(a: RegisteredChannel, b: RegisteredChannel, places: RegistryPlaces): Diagnostic {
  // Report on the longer address: it is the one that sits inside the other team's prefix.
  const aIsInner = addressSegments(a.address).length > addressSegments(b.address).length;
  const inner = aIsInner ? a : b;
  const outer = aIsInner ? b : a;
  return places.atChannel(inner, ["address"], {
    code: "registry/prefix-overlap",
    message: `address '${inner.address}' of team '${inner.owner}' lies inside prefix '${outer.address}' owned by team '${outer.owner}' at ${places.where(outer)}`,
    hint: `choose an address outside '${outer.address}' (e.g. starting with '${inner.owner}/'), or ask team '${outer.owner}' to own this channel`,
  });
}
