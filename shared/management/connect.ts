/**
 * A management connection to one router: its own shared-client connection (one router, no
 * failover: each router is managed on its own), the flavour found with GET-TYPES, and a
 * pool that keeps them open across warm function invocations (as skupper's agent pool).
 */
import { MeshClient, type MeshClientConfigInput, redactUrl } from "../amqp/index.ts";
import type { RouterFlavour } from "../router-vocabulary/index.ts";
import { ManagementClient, type ManagementOperationEvent } from "./client.ts";
import { ManagementProtocolError } from "./errors.ts";
import { flavourOfTypes } from "./types.ts";

export interface ManagementTarget {
  /** The router's client listener, amqp:// or amqps://. */
  url: string;
  sasl?: MeshClientConfigInput["sasl"];
  tls?: MeshClientConfigInput["tls"];
}

export interface OpenOptions {
  /** Reply timeout per request (default 10 s). */
  timeoutMs?: number;
  /** How long connecting may take (default 10 s). */
  connectTimeoutMs?: number;
  onOperation?: (event: ManagementOperationEvent) => void;
  /** Receives connection events from the AMQP client; never secrets. */
  log?: (line: string) => void;
}

export interface ManagementSession {
  readonly url: string;
  /** Detected with GET-TYPES on open. */
  readonly flavour: RouterFlavour;
  readonly management: ManagementClient;
  close(): Promise<void>;
}

/**
 * Connects to the router, asks GET-TYPES which flavour it is, and returns a client typed for
 * it. Fails with a ManagementError (unreachable, access, no reply) and closes what it opened.
 */
export async function openManagement(
  target: ManagementTarget,
  options: OpenOptions = {},
): Promise<ManagementSession> {
  const mesh = new MeshClient(
    {
      urls: [target.url],
      ...(target.sasl === undefined ? {} : { sasl: target.sasl }),
      ...(target.tls === undefined ? {} : { tls: target.tls }),
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      // One router: after a few failed attempts the request fails instead of waiting forever.
      reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, maxAttempts: 2 },
    },
    options.log === undefined ? {} : { log: options.log },
  );
  const router = redactUrl(target.url);
  const principal = target.sasl?.username;
  const probe = new ManagementClient(mesh, {
    flavour: "qpid-dispatch",
    router,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(principal === undefined ? {} : { principal }),
    ...(options.onOperation === undefined ? {} : { onOperation: options.onOperation }),
  });
  try {
    const types = await probe.getTypes();
    const flavour = flavourOfTypes(Object.keys(types));
    if (flavour === undefined)
      throw new ManagementProtocolError(
        { operation: "GET-TYPES", router },
        "the router names neither qpid-dispatch nor skupper-router types",
        "manage qdrouterd 1.x or skupper-router routers only",
      );
    return {
      url: router,
      flavour,
      management: probe.withFlavour(flavour),
      close: () => mesh.close(),
    };
  } catch (error) {
    await mesh.close();
    throw error;
  }
}

/** Open sessions by router URL and principal, reused until closed (warm invocations). */
export class ManagementPool {
  readonly #options: OpenOptions;
  readonly #sessions = new Map<string, Promise<ManagementSession>>();

  constructor(options: OpenOptions = {}) {
    this.#options = options;
  }

  /** The open session for `target`, or a new one; a failed open is not kept. */
  get(target: ManagementTarget): Promise<ManagementSession> {
    const key = `${target.url}\n${target.sasl?.username ?? ""}`;
    const existing = this.#sessions.get(key);
    if (existing !== undefined) return existing;
    const opening = openManagement(target, this.#options);
    this.#sessions.set(key, opening);
    opening.catch(() => this.#sessions.delete(key));
    return opening;
  }

  /** Forgets and closes a session (e.g. after its connection failed). */
  async discard(target: ManagementTarget): Promise<void> {
    const key = `${target.url}\n${target.sasl?.username ?? ""}`;
    const existing = this.#sessions.get(key);
    this.#sessions.delete(key);
    await existing?.then((s) => s.close()).catch(() => undefined);
  }

  async close(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(sessions.map((s) => s.then((x) => x.close()).catch(() => undefined)));
  }
}
