/**
 * The `policy` entity's maxConnections: one count for all of a router's listeners, checked
 * when a socket is accepted, before any AMQP. qdrouterd (`qd_policy_socket_accept`,
 * src/policy.c) closes a socket beyond the limit at once, with no AMQP frame to say why
 * ("there is no AMQP channel for returning error conditions").
 */
import type { PolicyCounters } from "./policy-counters.ts";

export class ConnectionLimit {
  #open = 0;
  /** 0 = no limit. */
  limit = 0;
  readonly #counters: PolicyCounters;

  constructor(counters: PolicyCounters) {
    this.#counters = counters;
  }

  /** Counts the connection in; false when it is one too many (and then not counted). */
  acquire(): boolean {
    this.#counters.connectionsProcessed++;
    if (this.limit > 0 && this.#open >= this.limit) {
      this.#counters.connectionsDenied++;
      return false;
    }
    this.#open++;
    return true;
  }

  release(): void {
    if (this.#open > 0) this.#open--;
  }

  get open(): number {
    return this.#open;
  }
}
