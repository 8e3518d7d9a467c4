/**
 * Vhost policies: which sources (consumers) and targets (producers) a user may attach to.
 * Modelled on qdrouterd's vhost entity: `groups` maps a group name to settings with
 * `users` (comma list), `sources`/`targets` (comma lists; `*` alone allows all, a trailing
 * `*` matches a prefix, `${user}` is the user name), `sourcePattern`/`targetPattern`
 * (token patterns, `*` one token, `#` any), `allowDynamicSource`, `allowAnonymousSender`
 * and `maxMessageSize`. Users in no group fall into the `$default` group when the vhost has
 * `allowUnknownUser`, else they are refused.
 * Policy is on only where the `policy` entity says `enableVhostPolicy: true` (off, every
 * connection is let in, whatever vhosts exist). A connection's vhost is its listener's
 * `policyVhost`, else its open hostname; a name no vhost has falls back to the policy's
 * `defaultVhost` (default `$default`); with neither, the connection is refused
 * (src/policy.c qd_policy_amqp_open, python/qpid_dispatch_internal/policy/policy_local.py).
 * Denials are worded as qdrouterd's src/policy.c words them: a refused connection is
 * closed with `amqp:resource-limit-exceeded` "connection disallowed by local policy"
 * (`qd_policy_amqp_open`); a refused attach is detached with `amqp:unauthorized-access`
 * (outside the allowed names) or `amqp:resource-limit-exceeded` (beyond the group's
 * maxSenders/maxReceivers), "link disallowed by local policy" either way.
 */

import { type Attributes, limitOf } from "../entities/schema.ts";
import { matchPattern, tokenize } from "../routing/address-table.ts";
import { VhostConnections } from "./vhost-connections.ts";

export const UNAUTHORIZED = "amqp:unauthorized-access";
export const RESOURCE_LIMIT_EXCEEDED = "amqp:resource-limit-exceeded";
export const CONNECTION_DISALLOWED = "connection disallowed by local policy";
export const LINK_DISALLOWED = "link disallowed by local policy";

export interface UserSettings {
  sources: string[];
  targets: string[];
  sourcePatterns: string[];
  targetPatterns: string[];
  allowDynamicSource: boolean;
  allowAnonymousSender: boolean;
  maxMessageSize: number;
  /** Open client senders / receivers allowed on one connection (0 = no limit). */
  maxSenders: number;
  maxReceivers: number;
}

/** `reason` says why, for whoever reads the code; the client only sees LINK_DISALLOWED. */
export type PolicyDecision = { allowed: true } | { allowed: false; reason: string };

function list(value: unknown): string[] {
  if (typeof value !== "string") return [];
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** qdrouterd substitutes the connection's user name for this token in policy lists. */
const USER_TOKEN = "$" + "{user}";

function allowedBy(address: string, entries: string[], patterns: string[], user: string): boolean {
  for (const raw of entries) {
    const entry = raw.replaceAll(USER_TOKEN, user);
    if (entry === "*") return true;
    if (entry.endsWith("*") && address.startsWith(entry.slice(0, -1))) return true;
    if (entry === address) return true;
  }
  const tokens = tokenize(address);
  for (const raw of patterns) {
    if (matchPattern(tokenize(raw.replaceAll(USER_TOKEN, user)), tokens) >= 0) return true;
  }
  return false;
}

/** An IPv4 peer as node reports it on a dual-stack socket (::ffff:a.b.c.d) and plain. */
function plainIp(ip: string): string {
  return ip.startsWith("::ffff:") ? ip.slice("::ffff:".length) : ip;
}

/**
 * A group's `remoteHosts`: `*`, or addresses separated by commas (policy_util.py HostAddr;
 * address ranges are not modelled). Absent, no host may connect (policy_local.py: "User is
 * not allowed to connect from this network host"; seen on qdrouterd 1.19.0).
 */
function fromAllowedHost(remoteHosts: unknown, ip: string): boolean {
  const hosts = list(remoteHosts);
  return hosts.includes("*") || hosts.map(plainIp).includes(plainIp(ip));
}

/** A connection the policy let in: its settings, and what to call when it closes. */
export interface Admission {
  settings: UserSettings;
  release: () => void;
}

/** A config value read as qdrouterd reads a boolean (true, or yes/true/on as text). */
function isTrue(value: unknown): boolean {
  return value === true || (typeof value === "string" && /^(yes|true|on)$/i.test(value));
}

export class VhostPolicy {
  readonly #vhosts = new Map<string, Attributes>();
  readonly #connections = new Map<string, VhostConnections>();
  #enabled = false;
  #defaultVhost = "$default";

  /** The `policy` entity's switches (undefined: no policy entity, policy off). */
  configure(policy: Attributes | Record<string, unknown> | undefined): void {
    this.#enabled = isTrue(policy?.enableVhostPolicy);
    const fallback = policy?.defaultVhost;
    this.#defaultVhost = typeof fallback === "string" ? fallback : "$default";
  }

  set(vhost: Attributes): void {
    this.#vhosts.set(String(vhost.hostname), vhost);
  }

  delete(hostname: string): void {
    this.#vhosts.delete(hostname);
  }

  /**
   * Lets a connection in (settings, counted against the vhost's connection limits) or says
   * why not. `ip` is the peer's address, for maxConnectionsPerHost.
   */
  admit(hostname: string | undefined, user: string | undefined, ip: string): Admission | string {
    const settings = this.settingsFor(hostname, user, ip);
    if (typeof settings === "string") return settings;
    const vhost = this.#vhostFor(hostname);
    if (!vhost) return "no vhost";
    const name = String(vhost.hostname);
    let counts = this.#connections.get(name);
    if (!counts) {
      counts = new VhostConnections();
      this.#connections.set(name, counts);
    }
    const release = counts.admit(vhost, user ?? "anonymous", ip);
    return typeof release === "string" ? release : { settings, release };
  }

  #vhostFor(hostname: string | undefined): Attributes | undefined {
    return (
      (hostname !== undefined ? this.#vhosts.get(hostname) : undefined) ??
      (this.#defaultVhost === "" ? undefined : this.#vhosts.get(this.#defaultVhost))
    );
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** The settings for a user on a vhost, or a denial when the user may not connect. */
  settingsFor(
    hostname: string | undefined,
    user: string | undefined,
    ip: string,
  ): UserSettings | string {
    const vhost = this.#vhostFor(hostname);
    if (!vhost) return `No policy vhost for hostname '${hostname ?? ""}'`;
    const groups = (vhost.groups ?? {}) as Record<string, Record<string, unknown>>;
    const name = user ?? "anonymous";
    // A group naming the user first, then one for everybody (`users: *`), as policy_local.py.
    let group =
      Object.values(groups).find((g) => list(g.users).includes(name)) ??
      Object.values(groups).find((g) => list(g.users).includes("*"));
    // Users in no group get the `$default` group only where unknown users are allowed.
    if (!group && vhost.allowUnknownUser === true) group = groups.$default;
    if (!group) return `User '${name}' is not in any group of vhost '${String(vhost.hostname)}'`;
    // A group lets its users in from its remoteHosts only; without any, from nowhere.
    if (!fromAllowedHost(group.remoteHosts, ip)) {
      return `User '${name}' is not allowed to connect from this network host`;
    }
    const size = Number(group.maxMessageSize ?? vhost.maxMessageSize ?? 0);
    return {
      maxSenders: limitOf(group.maxSenders),
      maxReceivers: limitOf(group.maxReceivers),
      sources: list(group.sources),
      targets: list(group.targets),
      sourcePatterns: list(group.sourcePattern),
      targetPatterns: list(group.targetPattern),
      allowDynamicSource: group.allowDynamicSource === true,
      allowAnonymousSender: group.allowAnonymousSender === true,
      maxMessageSize: Number.isFinite(size) ? size : 0,
    };
  }
}

export function checkSource(
  settings: UserSettings,
  user: string,
  address: string | undefined,
  dynamic: boolean,
): PolicyDecision {
  if (dynamic) {
    return settings.allowDynamicSource
      ? { allowed: true }
      : { allowed: false, reason: "dynamic source not allowed" };
  }
  if (address && allowedBy(address, settings.sources, settings.sourcePatterns, user)) {
    return { allowed: true };
  }
  return { allowed: false, reason: `source '${address ?? ""}' not allowed` };
}

export function checkTarget(
  settings: UserSettings,
  user: string,
  address: string | undefined,
): PolicyDecision {
  if (address === undefined) {
    return settings.allowAnonymousSender
      ? { allowed: true }
      : { allowed: false, reason: "anonymous sender not allowed" };
  }
  if (allowedBy(address, settings.targets, settings.targetPatterns, user)) {
    return { allowed: true };
  }
  return { allowed: false, reason: `target '${address}' not allowed` };
}

/** Per-message check for anonymous senders: the message's `to` must be an allowed target. */
export function checkMessageTarget(settings: UserSettings, user: string, to: string): boolean {
  return allowedBy(to, settings.targets, settings.targetPatterns, user);
}
