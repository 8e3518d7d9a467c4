/**
 * Watches a mesh: one loop per router reads it over AMQP management at a bounded rate (one
 * reading at a time, at most one per interval), marks it down when a reading fails or does
 * not answer within the request timeout, and checks its drift on a slower schedule. Every
 * reading rebuilds the mesh view and tells the subscribers.
 */
import {
  type ManagementSession,
  type ManagementTarget,
  openManagement,
} from "../management/index.ts";
import type { DesiredConfigs } from "../sync/index.ts";
import type { Topology } from "../topology/index.ts";
import {
  brokerLogin,
  brokerQueues,
  depthAddress,
  environmentSecrets,
  type SecretLookup,
} from "./broker-queues.ts";
import { readRouterDrift } from "./drift.ts";
import { readQueueDepths } from "./queue-depth.ts";
import { readRouterSample } from "./sample.ts";
import {
  buildMeshView,
  type MeshView,
  type ObservedProject,
  type QueueDepthView,
  RateMeter,
  type RouterStatus,
} from "./view.ts";

export interface ObservedRouter extends ManagementTarget {
  /** The router's id, when known beforehand (else from the topology by port, or as it answers). */
  id?: string;
}

export interface MeshObserverOptions {
  project: ObservedProject;
  routers: readonly ObservedRouter[];
  /** The configs the registry wants, for drift; none: drift is not checked. */
  desired?: DesiredConfigs;
  /** Time between the starts of two readings of a router (default 1000 ms, at least 250). */
  intervalMs?: number;
  /** How long a reading may wait for each answer before the router counts as down (default 2000 ms). */
  requestTimeoutMs?: number;
  /** Time between drift checks of a router (default 15 s). */
  driftIntervalMs?: number;
  /** Time between two readings of the brokers' queue depths (default 5000 ms, at least 250). */
  brokerIntervalMs?: number;
  /** The brokers' passwords by their references (default: `env:NAME` from the environment). */
  secrets?: SecretLookup;
  log?: (line: string) => void;
}

export const MIN_INTERVAL_MS = 250;

/** The message of an error, one line, never a URL's credentials. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split("\n")[0] ?? "").replace(/\/\/[^@/\s]*@/g, "//***@");
}

/** The topology's router whose clients listener this URL names (host and port), if any. */
export function routerIdOfUrl(url: string, topology: Topology): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const port = Number(parsed.port || (parsed.protocol === "amqps:" ? 5671 : 5672));
  const loopback = (h: string) => h === "127.0.0.1" || h === "localhost" || h === "::1";
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const matches = topology.routers.filter(
    (r) =>
      r.listeners.clients.port === port &&
      (r.host === host || (loopback(host) && loopback(r.host)) || loopback(host)),
  );
  return matches.length === 1 ? matches[0]!.id : undefined;
}

export class MeshObserver {
  readonly #options: MeshObserverOptions;
  readonly #statuses: RouterStatus[];
  readonly #meter = new RateMeter();
  readonly #listeners = new Set<(view: MeshView) => void>();
  readonly #wakers = new Set<() => void>();
  readonly #loops: Promise<void>[] = [];
  #project: ObservedProject;
  #desired: DesiredConfigs | undefined;
  /** Broker channel address → its queue's depth. */
  #depths = new Map<string, QueueDepthView>();
  #view: MeshView;
  #closed = false;

  constructor(options: MeshObserverOptions) {
    const interval = options.intervalMs ?? 1000;
    if (!Number.isFinite(interval) || interval < MIN_INTERVAL_MS)
      throw new RangeError(`intervalMs must be at least ${MIN_INTERVAL_MS}, got ${interval}`);
    if (options.routers.length === 0)
      throw new RangeError("a mesh observer needs at least one router");
    const brokerInterval = options.brokerIntervalMs ?? 5000;
    if (!Number.isFinite(brokerInterval) || brokerInterval < MIN_INTERVAL_MS)
      throw new RangeError(
        `brokerIntervalMs must be at least ${MIN_INTERVAL_MS}, got ${brokerInterval}`,
      );
    this.#options = options;
    this.#project = options.project;
    this.#desired = options.desired;
    this.#statuses = options.routers.map((r) => ({
      id: r.id ?? routerIdOfUrl(r.url, options.project.topology) ?? r.url,
      url: r.url.replace(/\/\/[^@/]*@/, "//"),
      state: "unknown",
      error: undefined,
      sample: undefined,
      lastSeenAt: undefined,
      drift: undefined,
    }));
    this.#view = this.#build();
  }

  /**
   * Another registry is enforced now: its channels are shown from the next view on, drift is
   * judged against `desired` (at each router's next reading), its brokers' queues read.
   */
  setProject(project: ObservedProject, desired?: DesiredConfigs): void {
    this.#project = project;
    this.#desired = desired;
    for (const status of this.#statuses) {
      status.drift = undefined;
      this.#driftDue.add(status);
    }
    for (const wake of this.#wakers) wake();
    this.#publish();
  }

  /** Routers whose drift is judged at their next reading (the registry changed). */
  readonly #driftDue = new Set<RouterStatus>();

  get view(): MeshView {
    return this.#view;
  }

  /** Calls `listener` with every new view; returns how to stop. */
  subscribe(listener: (view: MeshView) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts the loops (once). */
  start(): this {
    if (this.#loops.length > 0 || this.#closed) return this;
    this.#options.routers.forEach((router, i) => {
      this.#loops.push(this.#loop(router, this.#statuses[i]!));
    });
    this.#loops.push(this.#brokerLoop());
    return this;
  }

  /** Reads every router once (drift too, when desired configs are given); the view after it. */
  async readOnce(): Promise<MeshView> {
    await Promise.all([
      this.#readBrokers(),
      ...this.#options.routers.map(async (router, i) => {
        const status = this.#statuses[i]!;
        let session: ManagementSession | undefined;
        try {
          session = await this.#open(router);
          await this.#read(session, status, true);
        } catch (error) {
          this.#down(status, error);
        } finally {
          await session?.close().catch(() => undefined);
        }
      }),
    ]);
    this.#publish();
    return this.#view;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#wakers) wake();
    await Promise.all(this.#loops);
    this.#listeners.clear();
  }

  #open(router: ObservedRouter): Promise<ManagementSession> {
    const timeout = this.#options.requestTimeoutMs ?? 2000;
    return openManagement(router, { timeoutMs: timeout, connectTimeoutMs: timeout });
  }

  async #read(session: ManagementSession, status: RouterStatus, withDrift: boolean): Promise<void> {
    const sample = await readRouterSample(session.management);
    status.id = sample.routerId;
    status.state = "up";
    status.error = undefined;
    status.sample = sample;
    status.lastSeenAt = sample.seenAt;
    const desired = this.#desired;
    if (withDrift && desired !== undefined) {
      try {
        status.drift = await readRouterDrift(session.management, desired);
      } catch (error) {
        status.drift = { checkedAt: Date.now(), entries: [], problem: reason(error) };
      }
    }
  }

  #down(status: RouterStatus, error: unknown): void {
    status.state = "down";
    status.error = reason(error);
  }

  async #loop(router: ObservedRouter, status: RouterStatus): Promise<void> {
    const interval = this.#options.intervalMs ?? 1000;
    const driftInterval = this.#options.driftIntervalMs ?? 15_000;
    let session: ManagementSession | undefined;
    let driftAt = 0;
    while (!this.#closed) {
      const started = Date.now();
      try {
        session ??= await this.#open(router);
        const withDrift = started >= driftAt || this.#driftDue.delete(status);
        await this.#read(session, status, withDrift);
        if (withDrift) driftAt = started + driftInterval;
      } catch (error) {
        const was = status.state;
        this.#down(status, error);
        if (was !== "down") this.#options.log?.(`console: ${status.id} is down: ${status.error}`);
        await session?.close().catch(() => undefined);
        session = undefined;
        // A router back up gets its drift checked at once (it may have lost runtime entities).
        driftAt = 0;
      }
      if (this.#closed) break;
      this.#publish();
      await this.#sleep(Math.max(0, interval - (Date.now() - started)));
    }
    await session?.close().catch(() => undefined);
  }

  /** Every broker's queue depths, one connection per broker, all at once. */
  async #readBrokers(): Promise<void> {
    const { registry, topology } = this.#project;
    const queues = brokerQueues(registry);
    const timeoutMs = this.#options.requestTimeoutMs ?? 2000;
    const secrets = this.#options.secrets ?? environmentSecrets;
    const depths = new Map<string, QueueDepthView>();
    const unknown = (channel: string, broker: string, queue: string, why: string) =>
      depths.set(channel, { broker, queue, messages: undefined, unknown: why, readAt: undefined });
    await Promise.all(
      [...new Set(queues.map((q) => q.broker))].map(async (name) => {
        const mine = queues.filter((q) => q.broker === name);
        const broker = topology.brokers.find((b) => b.name === name);
        if (broker === undefined) {
          for (const q of mine)
            unknown(q.channel, name, q.queue, `broker '${name}' is not in the topology`);
          return;
        }
        const login = brokerLogin(broker, topology, secrets);
        if ("unknown" in login) {
          for (const q of mine) unknown(q.channel, name, q.queue, login.unknown);
          return;
        }
        const readable = mine.flatMap((q) => {
          const address = depthAddress(broker, q.queue);
          if (typeof address === "string") return [{ ...q, address }];
          unknown(q.channel, name, q.queue, address.unknown);
          return [];
        });
        const readings = await readQueueDepths(
          login,
          readable.map((q) => q.address),
          { timeoutMs },
        );
        const readAt = new Date().toISOString();
        for (const q of readable) {
          const reading = readings.get(q.address) ?? { unknown: "not read" };
          if ("messages" in reading)
            depths.set(q.channel, {
              broker: name,
              queue: q.queue,
              messages: reading.messages,
              unknown: undefined,
              readAt,
            });
          else
            unknown(
              q.channel,
              name,
              q.queue,
              `${broker.flavour} '${name}' at ${broker.host}:${broker.port}: ${reading.unknown}`,
            );
        }
      }),
    );
    this.#depths = depths;
  }

  async #brokerLoop(): Promise<void> {
    const interval = this.#options.brokerIntervalMs ?? 5000;
    while (!this.#closed) {
      const started = Date.now();
      try {
        await this.#readBrokers();
      } catch (error) {
        this.#options.log?.(`console: reading the brokers failed: ${reason(error)}`);
      }
      if (this.#closed) break;
      this.#publish();
      await this.#sleep(Math.max(0, interval - (Date.now() - started)));
    }
  }

  #build(): MeshView {
    return buildMeshView(this.#project, this.#statuses, this.#meter, Date.now(), this.#depths);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#wakers.add(wake);
    });
  }

  #publish(): void {
    this.#view = this.#build();
    for (const listener of this.#listeners) {
      try {
        listener(this.#view);
      } catch (error) {
        this.#options.log?.(`console: a view subscriber failed: ${reason(error)}`);
      }
    }
  }
}
