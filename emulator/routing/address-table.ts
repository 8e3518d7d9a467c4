/**
 * Address configuration lookup: which distribution (and waypoint) applies to an address.
 * Like qdrouterd, prefixes and patterns match whole tokens (separators '.' and '/'):
 * prefix `orders` matches `orders`, `orders.eu`, `orders/1` but not `ordersX`.
 * Patterns use `*` for exactly one token and `#` for zero or more tokens.
 * The most specific match wins (most literal tokens; a prefix beats an equal pattern);
 * an address nothing matches gets the router's `defaultDistribution` (`balanced` unless
 * configured). `unavailable` addresses refuse attaches (see client-connection.ts).
 */

import type { AddressDistribution } from "../../shared/router-vocabulary/index.ts";

export interface AddressRule {
  /** Exactly one of prefix / pattern. */
  prefix?: string;
  pattern?: string;
  distribution: AddressDistribution;
  waypoint: boolean;
  /** Identifies the config entity the rule came from (its management identity). */
  source: string;
}

/** Shared between lookups of the same address: never changed once returned. */
export interface AddressSemantics {
  readonly distribution: AddressDistribution;
  readonly waypoint: boolean;
  readonly rule?: AddressRule;
}

/**
 * The mesh key of one phase of a waypoint address (`M0:` what producers feed, `M1:` what
 * consumers read), and the configured address behind any mesh key.
 */
export function phaseKey(address: string, phase: 0 | 1): string {
  return `M${phase}:${address}`;
}

export function addressOfKey(key: string): string {
  return key.replace(/^M[01]:/, "");
}

export function tokenize(address: string): string[] {
  return address.split(/[./]/);
}

/** Number of literal tokens matched, or -1 when the pattern does not match. */
export function matchPattern(patternTokens: readonly string[], tokens: readonly string[]): number {
  const walk = (p: number, t: number): number => {
    if (p === patternTokens.length) return t === tokens.length ? 0 : -1;
    const token = patternTokens[p];
    if (token === "#") {
      for (let skip = t; skip <= tokens.length; skip++) {
        const rest = walk(p + 1, skip);
        if (rest >= 0) return rest;
      }
      return -1;
    }
    if (t === tokens.length) return -1;
    if (token === "*") return walk(p + 1, t + 1);
    if (token !== tokens[t]) return -1;
    const rest = walk(p + 1, t + 1);
    return rest >= 0 ? rest + 1 : -1;
  };
  return walk(0, 0);
}

/** A rule with its prefix or pattern split into tokens once, when it is added. */
interface CompiledRule {
  rule: AddressRule;
  tokens: readonly string[];
}

function score({ rule, tokens: ruleTokens }: CompiledRule, tokens: readonly string[]): number {
  if (rule.prefix !== undefined) {
    if (ruleTokens.length > tokens.length) return -1;
    for (let i = 0; i < ruleTokens.length; i++) {
      if (ruleTokens[i] !== tokens[i]) return -1;
    }
    // A prefix counts as slightly more specific than a pattern with the same literals.
    return ruleTokens.length * 2 + 1;
  }
  if (rule.pattern !== undefined) {
    const literals = matchPattern(ruleTokens, tokens);
    return literals < 0 ? -1 : literals * 2;
  }
  return -1;
}

/** Looked-up addresses remembered at most; the memo starts over beyond it. */
const MEMO_LIMIT = 10_000;

export class AddressTable {
  #rules: CompiledRule[] = [];
  #default: AddressDistribution = "balanced";
  /** Lookups since the rules last changed: routing asks for every delivery. */
  readonly #memo = new Map<string, AddressSemantics>();

  /** The router entity's `defaultDistribution`: what an address no rule matches gets. */
  get defaultDistribution(): AddressDistribution {
    return this.#default;
  }

  set defaultDistribution(distribution: AddressDistribution) {
    this.#default = distribution;
    this.#memo.clear();
  }

  add(rule: AddressRule): void {
    this.#rules.push({ rule, tokens: tokenize(rule.prefix ?? rule.pattern ?? "") });
    this.#memo.clear();
  }

  remove(source: string): void {
    this.#rules = this.#rules.filter((r) => r.rule.source !== source);
    this.#memo.clear();
  }

  clear(): void {
    this.#rules = [];
    this.defaultDistribution = "balanced";
  }

  lookup(address: string): AddressSemantics {
    let semantics = this.#memo.get(address);
    if (semantics) return semantics;
    semantics = this.#match(address);
    if (this.#memo.size >= MEMO_LIMIT) this.#memo.clear();
    this.#memo.set(address, semantics);
    return semantics;
  }

  #match(address: string): AddressSemantics {
    const tokens = tokenize(address);
    let best: AddressRule | undefined;
    let bestScore = -1;
    for (const compiled of this.#rules) {
      const s = score(compiled, tokens);
      if (s > bestScore) {
        best = compiled.rule;
        bestScore = s;
      }
    }
    if (!best) return { distribution: this.#default, waypoint: false };
    return { distribution: best.distribution, waypoint: best.waypoint, rule: best };
  }
}
