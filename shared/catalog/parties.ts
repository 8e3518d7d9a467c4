/** Who a channel's producer or consumer entry names: a team (with its principals) or a principal. */
import type { ChannelRegistry } from "../registry/index.ts";

export interface Party {
  /** As written in the channel's producers/consumers. */
  name: string;
  kind: "team" | "principal" | "unknown";
  /** The team: itself, or the team the principal acts for. */
  team?: string;
  /** The SASL user names that act as this party. */
  principals: string[];
}

export function partyOf(name: string, registry: ChannelRegistry): Party {
  const team = registry.teams.find((t) => t.team === name);
  if (team) return { name, kind: "team", team: team.team, principals: [...team.principals] };
  const owner = registry.teams.find((t) => t.principals.includes(name));
  if (owner) return { name, kind: "principal", team: owner.team, principals: [name] };
  return { name, kind: "unknown", principals: [] };
}

export function describeParty(party: Party): string {
  if (party.kind === "team")
    return party.principals.length > 0
      ? `team ${party.name} (principals ${party.principals.join(", ")})`
      : `team ${party.name}`;
  if (party.kind === "principal") return `principal ${party.name} of team ${party.team}`;
  return `${party.name} (neither a team nor a known principal)`;
}
