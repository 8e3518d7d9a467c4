/**
 * A connection a broker (or any container) opened to a listener with role
 * `route-container`: like a connector's connection, it can carry link routes and autoLinks.
 * qdrouterd matches it by the listener's name (`connection`) or by the container id the
 * peer announced (`containerId`), for as long as the connection lasts.
 */
import type { Connection } from "../protocol/rhea-internals.ts";
import { WatchedConnector } from "./auto-link-binding.ts";

export class RouteContainerPeer extends WatchedConnector {
  connected = true;
  connection: Connection | undefined;
  readonly remoteContainer: string | undefined;
  readonly name: string;

  constructor(listenerName: string, connection: Connection, remoteContainer: string | undefined) {
    super();
    this.name = listenerName;
    this.connection = connection;
    this.remoteContainer = remoteContainer;
  }

  /** The connection is gone: whatever it carried is detached. */
  down(): void {
    if (!this.connected) return;
    this.connected = false;
    this.connection = undefined;
    this.reportDown(true);
  }
}
