/**
 * A vhost's live connection counts: `maxConnections` (all of the vhost's connections),
 * `maxConnectionsPerUser`, `maxConnectionsPerHost` (remote IP). qdrouterd counts a
 * connection once the policy let it in and forgets it when it closes
 * (python/qpid_dispatch_internal/policy/policy_local.py: `can_connect`, `disconnect`); one
 * over a limit is refused like any policy denial.
 */
import { type Attributes, limitOf } from "../entities/schema.ts";

export class VhostConnections {
  #total = 0;
  readonly #perUser = new Map<string, number>();
  readonly #perHost = new Map<string, number>();

  /** Counts the connection in and returns its release, or a reason it is one too many. */
  admit(vhost: Attributes, user: string, host: string): (() => void) | string {
    const over = (limit: number, count: number): boolean => limit > 0 && count >= limit;
    if (over(limitOf(vhost.maxConnections), this.#total)) return "vhost maxConnections reached";
    if (over(limitOf(vhost.maxConnectionsPerUser), this.#perUser.get(user) ?? 0)) {
      return `maxConnectionsPerUser reached for '${user}'`;
    }
    if (over(limitOf(vhost.maxConnectionsPerHost), this.#perHost.get(host) ?? 0)) {
      return `maxConnectionsPerHost reached for ${host}`;
    }
    this.#total++;
    bump(this.#perUser, user, 1);
    bump(this.#perHost, host, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total--;
      bump(this.#perUser, user, -1);
      bump(this.#perHost, host, -1);
    };
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}
