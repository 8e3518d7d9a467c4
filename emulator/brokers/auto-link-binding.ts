/**
 * Which broker connection carries an autoLink. qdrouterd binds an autoLink to a connection
 * by the connector's name (`connection`) or by the container id the broker announces in its
 * open (`containerId`), whenever such a connection comes up — in whatever order the autoLink
 * and the connector were configured. The link is attached on the first matching connector
 * that is up, and moves to another matching one when that goes down.
 */

import type { Attributes } from "../entities/schema.ts";
import type { Connection } from "../protocol/rhea-internals.ts";

/** What a binding needs of a connector (a BrokerConnection). */
export interface CarrierConnector {
  readonly name: string;
  readonly connected: boolean;
  readonly connection: Connection | undefined;
  /** The container id the broker announced in its open, once connected. */
  readonly remoteContainer: string | undefined;
  onUp(handler: () => void): void;
  onDown(handler: () => void): void;
  off(up: () => void, down: () => void): void;
}

/**
 * The handler bookkeeping every connector shares: bindings register for up/down, and the
 * connector reports its transitions with `reportUp` / `reportDown`.
 */
export abstract class WatchedConnector implements CarrierConnector {
  abstract readonly name: string;
  abstract readonly connected: boolean;
  abstract readonly connection: Connection | undefined;
  abstract readonly remoteContainer: string | undefined;
  readonly #up = new Set<() => void>();
  readonly #down = new Set<() => void>();

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

  /** How many bindings watch this connector. */
  protected get watching(): number {
    return this.#up.size;
  }

  protected reportUp(): void {
    for (const up of this.#up) up();
  }

  /** `final`: the connector is gone for good, so its handlers are dropped after. */
  protected reportDown(final = false): void {
    for (const down of this.#down) down();
    if (!final) return;
    this.#up.clear();
    this.#down.clear();
  }
}

/** What a binding needs of the autoLink (an ActiveAutoLink). */
export interface BindableLink {
  readonly entity: { readonly attributes: Attributes };
  attach(connection: Connection): void;
  detach(): void;
}

interface Handlers {
  up: () => void;
  down: () => void;
}

export class AutoLinkBinding<L extends BindableLink = BindableLink> {
  readonly link: L;
  #attachedTo: CarrierConnector | undefined;
  readonly #bound = new Map<CarrierConnector, Handlers>();

  constructor(link: L) {
    this.link = link;
  }

  /** Whether this connector may ever carry the autoLink (its name, or any for containerId). */
  #eligible(connector: CarrierConnector): boolean {
    const a = this.link.entity.attributes;
    if (typeof a.connection === "string") return connector.name === a.connection;
    return typeof a.containerId === "string";
  }

  /** Whether the connector carries it now: up, and named or announcing the container id. */
  #matches(connector: CarrierConnector): boolean {
    if (!connector.connected || !connector.connection) return false;
    const a = this.link.entity.attributes;
    if (typeof a.connection === "string") return connector.name === a.connection;
    return typeof a.containerId === "string" && connector.remoteContainer === a.containerId;
  }

  /** Watches a connector: attach when it comes up and matches, detach when it goes down. */
  bind(connector: CarrierConnector): void {
    if (this.#bound.has(connector) || !this.#eligible(connector)) return;
    const handlers: Handlers = {
      up: () => this.#attach(connector),
      down: () => {
        if (this.#attachedTo !== connector) return;
        this.#attachedTo = undefined;
        this.link.detach();
        for (const other of this.#bound.keys()) {
          if (other !== connector) this.#attach(other);
        }
      },
    };
    this.#bound.set(connector, handlers);
    connector.onUp(handlers.up);
    connector.onDown(handlers.down);
  }

  #attach(connector: CarrierConnector): void {
    if (this.#attachedTo || !this.#matches(connector) || !connector.connection) return;
    this.#attachedTo = connector;
    this.link.attach(connector.connection);
  }

  /** A deleted connector: stop watching it (its stop() already reported it down). */
  forget(connector: CarrierConnector): void {
    const handlers = this.#bound.get(connector);
    if (!handlers) return;
    connector.off(handlers.up, handlers.down);
    this.#bound.delete(connector);
  }

  /** The autoLink is deleted (or its router stops): no more watching, link detached. */
  unbind(): void {
    for (const [connector, { up, down }] of this.#bound) connector.off(up, down);
    this.#bound.clear();
    this.#attachedTo = undefined;
    this.link.detach();
  }
}
