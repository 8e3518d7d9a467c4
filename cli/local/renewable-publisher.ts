/**
 * A publisher whose connection is replaced when the registry changes. The routers apply a
 * vhost UPDATE (new rights: a channel added, a producer added) only to connections opened
 * after it — seen on qdrouterd 1.19 and skupper-router 3.5 and held to by the emulator — so a
 * function that keeps its connection would be refused a link the new registry allows. After
 * config-sync brought every router to a new registry, `renew()` opens a new connection and
 * lets the old one finish what it is sending.
 */
import {
  type MeshClientConfigInput,
  type MeshClientOptions,
  MeshPublisher,
} from "../../shared/amqp/index.ts";
import type { MessagePublisher } from "../../shared/ingress/index.ts";

const OLD_CONNECTION_GRACE_MS = 5_000;

export class RenewablePublisher implements MessagePublisher {
  #current: MeshPublisher;
  readonly #config: MeshClientConfigInput;
  readonly #options: MeshClientOptions;

  constructor(config: MeshClientConfigInput, options: MeshClientOptions = {}) {
    this.#config = config;
    this.#options = options;
    this.#current = new MeshPublisher(config, options);
  }

  publish(...args: Parameters<MeshPublisher["publish"]>): ReturnType<MeshPublisher["publish"]> {
    return this.#current.publish(...args);
  }

  connect(): Promise<void> {
    return this.#current.connect();
  }

  async renew(): Promise<void> {
    const old = this.#current;
    this.#current = new MeshPublisher(this.#config, this.#options);
    this.#current.connect().catch(() => undefined);
    await old.close(OLD_CONNECTION_GRACE_MS).catch(() => undefined);
  }

  close(graceMs?: number): Promise<void> {
    return this.#current.close(graceMs);
  }
}
