/**
 * The one reading of a `producers`/`consumers` entry, shared by validation, the router
 * configs' vhost policies, the ingress's channel policies and the deployed snapshot: four
 * readers that disagreed on one name would give a team rights another part refuses.
 *
 * Team names and principal names live in one namespace (validation refuses a principal named
 * like a team, or like another team's principal, case ignored), so an entry is a team or a
 * principal, never both. Should a registry that was not validated get here anyway, the
 * resolver fails closed: an entry that names a team and a principal (or two teams' principals)
 * or a principal the router could misread (PRINCIPAL_PATTERN) stands for nobody.
 */
import { PRINCIPAL_PATTERN } from "./name-patterns.ts";

/** What the resolver needs of a team: its name and its principals. */
export interface TeamPrincipals {
  team: string;
  principals: readonly string[];
}

/** The key names collide by: case-insensitive, as a reader would confuse them. */
export function partyNameKey(name: string): string {
  return name.toLowerCase();
}

export class PartyResolver {
  readonly #teams = new Map<string, readonly string[]>();
  /** Name keys declared by more than one team (a team and another's principal, two teams' principals). */
  readonly #ambiguous = new Set<string>();
  readonly #principals = new Set<string>();

  constructor(teams: readonly TeamPrincipals[]) {
    const seen = new Map<string, string>();
    const claim = (name: string, owner: string) => {
      const key = partyNameKey(name);
      const earlier = seen.get(key);
      if (earlier === undefined) seen.set(key, owner);
      else if (earlier !== owner) this.#ambiguous.add(key);
    };
    for (const team of teams) {
      claim(team.team, team.team);
      if (!this.#teams.has(team.team)) this.#teams.set(team.team, team.principals);
    }
    for (const team of teams)
      for (const principal of new Set(team.principals)) {
        claim(principal, team.team);
        this.#principals.add(principal);
      }
  }

  /**
   * The principals (SASL user names) an entry stands for: a team's principals, or the
   * principal itself; none when the entry is ambiguous or not a safe name.
   */
  principalsOf(entry: string): string[] {
    if (this.#ambiguous.has(partyNameKey(entry))) return [];
    const members = this.#teams.get(entry);
    if (members !== undefined)
      return members.filter(
        (p) => PRINCIPAL_PATTERN.test(p) && !this.#ambiguous.has(partyNameKey(p)),
      );
    // An undeclared name (a validation error) is taken as a principal: it can only grant
    // rights on the declaring team's own channel, which is no other team's loss.
    return PRINCIPAL_PATTERN.test(entry) ? [entry] : [];
  }

  /** Every principal of many entries, sorted (code-point order) and unique. */
  principalsIn(entries: readonly string[]): string[] {
    const out = new Set<string>();
    for (const entry of entries) for (const p of this.principalsOf(entry)) out.add(p);
    return [...out].sort();
  }

  /** Whether some team declares this principal. */
  isPrincipal(name: string): boolean {
    return this.#principals.has(name);
  }
}

/** Kept per teams list (a loaded registry's teams are not changed afterwards; the count is checked). */
const resolvers = new WeakMap<
  readonly TeamPrincipals[],
  { count: number; resolver: PartyResolver }
>();

/** The resolver of a registry's teams, built once per teams list. */
export function partyResolver(registry: { teams: readonly TeamPrincipals[] }): PartyResolver {
  const kept = resolvers.get(registry.teams);
  if (kept !== undefined && kept.count === registry.teams.length) return kept.resolver;
  const resolver = new PartyResolver(registry.teams);
  resolvers.set(registry.teams, { count: registry.teams.length, resolver });
  return resolver;
}
