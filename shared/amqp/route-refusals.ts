/**
 * A sender's attaches the router refused for now (`qd:no-route-to-dest` while a link
 * route's broker connection is down...): the latest refusal, how many came in a row, and the
 * backoff before the next attach while publishes wait — quick at first (a broker connection
 * coming up), capped so a long outage costs the router one attach every couple of seconds
 * per address.
 */
import { AttachBackoff } from "./link-lifecycle.ts";
import type { Refusal } from "./publish-entry.ts";

const ROUTE_RETRY_INITIAL_MS = 100;
const ROUTE_RETRY_MAX_MS = 2_000;

export class RouteRefusals {
  private latest: Omit<Refusal, "attaches"> | undefined;
  private readonly backoff = new AttachBackoff(ROUTE_RETRY_INITIAL_MS, ROUTE_RETRY_MAX_MS);

  /** Whether the router's last word on the attach was a refusal for now. */
  get active(): boolean {
    return this.latest !== undefined;
  }

  /** The latest refusal with the attaches refused in a row; undefined when there is none. */
  get current(): Refusal | undefined {
    return this.latest && { ...this.latest, attaches: this.backoff.refusals };
  }

  /** Counts a refusal; returns how long to wait before attaching again. */
  refused(condition: string, description: string | undefined): number {
    this.latest = { condition, description };
    return this.backoff.refused();
  }

  /** Credit came (the address is routed), a new connection, or a final refusal: start over. */
  clear(): void {
    this.latest = undefined;
    this.backoff.reset();
  }
}
