/**
 * A connection a broker (or any container) opened to a listener with role
 * `route-container`: like a connector's connection, it can carry link routes and autoLinks.
 * qdrouterd matches it by the listener's name (`connection`) or by the container id the
 * peer announced (`containerId`), for as long as the connection lasts.
 */
import type { Connection } from "./amqp.ts";
import type { CarrierConnector } from "./auto-link-binding.ts";

export class InboundCarrier implements CarrierConnector {
  connected = true;
  connection: Connection | undefined;
  readonly remoteContainer: string | undefined;
  readonly name: string;
  readonly #up = new Set<() => void>();
  readonly #down = new Set<() => void>();

  constructor(listenerName: string, connection: Connection, remoteContainer: string | undefined) {
    this.name = listenerName;
    this.connection = connection;
    this.remoteContainer = remoteContainer;
  }

  onUp(handler: () => void): void {
    this.#up.add(handler);
    if (this.connected) handler();
  }

  onDown(handler: () => void): void {
    this.#down.add(handler);
  }

  off(up: () => void, down: () => void): void {
    this.#up.delete(up);
    this.#down.delete(down);
  }

  /** The connection is gone: whatever it carried is detached. */
  down(): void {
    if (!this.connected) return;
    this.connected = false;
    this.connection = undefined;
    for (const d of this.#down) d();
    this.#up.clear();
    this.#down.clear();
  }
}
