/**
 * A publisher whose connection is replaced when the registry changes. The routers apply a
 * vhost UPDATE (new rights: a channel added, a producer added) only to connections opened
 * after it — seen on qdrouterd 1.19 and skupper-router 3.5 and held to by the emulator — so a
 * function that keeps its connection would be refused a link the new registry allows. After
 * config-sync brought every router to a new registry (the functions read the snapshot it
 * publishes once it has), `renew()` opens a new connection and lets the old one finish what
 * it is sending. The deployed ingress and triggers (`shared/ingress/deployment.ts`,
 * `shared/trigger/deployment.ts`) and the local platform use it.
 */
import type { MeshClientConfigInput } from "./config.ts";
import { getSharedPublisher, type MeshClientOptions, MeshPublisher } from "./publisher.ts";

const OLD_CONNECTION_GRACE_MS = 5_000;

export class RenewablePublisher {
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

/** Something that announces changes (a live registry: shared/registry-snapshot's LiveRegistry). */
interface Changing {
  onChange(listener: () => void): unknown;
}

/**
 * The process-wide shared publisher when what the caller reads never changes; when it does
 * (`changes` announces it), a publisher of its own whose connection is renewed on each change.
 */
export function publisherFor(
  config: MeshClientConfigInput,
  options: MeshClientOptions,
  changes: unknown,
): MeshPublisher | RenewablePublisher {
  if (!isChanging(changes)) return getSharedPublisher(config, options);
  const client = new RenewablePublisher(config, options);
  changes.onChange(() => void client.renew());
  return client;
}

function isChanging(value: unknown): value is Changing {
  return typeof (value as { onChange?: unknown } | null | undefined)?.onChange === "function";
}
