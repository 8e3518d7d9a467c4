/**
 * A router's entity table as management shows it, for planner tests: rows as QUERY
 * returns them (every attribute of the type, the router's defaults filled in, ports as
 * text, identity and type), and the four writes as the routers do them — CREATE refuses a
 * name that exists, UPDATE merges into the entity, DELETE removes it. Written from the
 * routers' answers (shared/management/README.md), not from the planner.
 */
import type { ManagedEntity } from "../../../shared/management/index.ts";
import type {
  EntityAttributes,
  RouterConfig,
  RouterEntityType,
} from "../../../shared/router-config/index.ts";
import type { ActualState, SyncPlan } from "../../../shared/sync/index.ts";

/** Defaults qdrouterd 1.19 / skupper-router 3.5 report for attributes not set (QUERY answers seen here). */
const DEFAULTS: Partial<Record<RouterEntityType, Record<string, unknown>>> = {
  address: {
    waypoint: false,
    ingressPhase: 0,
    egressPhase: 0,
    pattern: null,
    priority: -1,
    fallback: false,
  },
  linkRoute: {
    prefix: null,
    pattern: null,
    connection: null,
    containerId: null,
    addExternalPrefix: null,
    delExternalPrefix: null,
    distribution: "linkBalanced",
    operStatus: "inactive",
  },
  autoLink: {
    connection: null,
    containerId: null,
    externalAddress: null,
    phase: 0,
    operStatus: "inactive",
    lastError: null,
  },
  vhost: {
    aliases: null,
    maxConnections: 65535,
    maxMessageSize: null,
    maxConnectionsPerUser: 65535,
    maxConnectionsPerHost: 65535,
    allowUnknownUser: false,
  },
  listener: {
    cost: 1,
    sslProfile: null,
    requireSsl: false,
    maxFrameSize: 16384,
    idleTimeoutSeconds: 16,
    policyVhost: null,
  },
  connector: {
    cost: 1,
    sslProfile: null,
    saslUsername: null,
    saslPassword: null,
    maxFrameSize: 16384,
    connectionStatus: "SUCCESS",
    policyVhost: null,
  },
  sslProfile: {
    ciphers: null,
    protocols: null,
    password: null,
    passwordFile: null,
    uidFormat: null,
  },
  router: { area: "0", version: "1.19.0", uptimeSeconds: 12, workerThreads: 4 },
  policy: {
    maxConnections: 65535,
    enableVhostNamePatterns: false,
    policyDir: "",
    connectionsProcessed: 3,
  },
};

export class RouterModel {
  readonly flavour: RouterConfig["flavour"];
  readonly routerId: string;
  readonly mode: RouterConfig["mode"];
  readonly #rows = new Map<
    string,
    { type: RouterEntityType; attributes: Record<string, unknown> }
  >();
  #identity = 0;
  writes = 0;

  constructor(config: RouterConfig) {
    this.flavour = config.flavour;
    this.routerId = config.routerId;
    this.mode = config.mode;
    for (const entity of config.entities) this.load(entity.type, entity.attributes);
  }

  /** An entity as the config file (or an operator) made it. */
  load(type: RouterEntityType, attributes: EntityAttributes): void {
    const name =
      typeof attributes.name === "string" ? attributes.name : `${type}/${this.#identity}`;
    this.#rows.set(name, {
      type,
      attributes: {
        ...DEFAULTS[type],
        ...attributes,
        name,
        identity: String(++this.#identity),
        type,
      },
    });
  }

  has(name: string): boolean {
    return this.#rows.has(name);
  }

  attributes(name: string): Record<string, unknown> | undefined {
    return this.#rows.get(name)?.attributes;
  }

  create(type: RouterEntityType, name: string, attributes: EntityAttributes): void {
    if (this.#rows.has(name))
      throw new Error(`400 Name conflicts with an existing entity: ${name}`);
    this.writes++;
    this.load(type, { ...attributes, name });
  }

  update(name: string, attributes: EntityAttributes): void {
    const row = this.#rows.get(name);
    if (row === undefined) throw new Error(`404 ${name}`);
    this.writes++;
    Object.assign(row.attributes, attributes);
  }

  delete(name: string): void {
    if (!this.#rows.delete(name)) throw new Error(`404 ${name}`);
    this.writes++;
  }

  /** Applies a plan's steps as the router would take the requests. */
  apply(plan: SyncPlan): void {
    for (const step of plan.steps) {
      if (step.kind === "create") this.create(step.type, step.name, step.attributes);
      else if (step.kind === "update") this.update(step.name, step.attributes);
      else if (step.kind === "delete") this.delete(step.name);
      else {
        this.delete(step.name);
        this.create(step.type, step.name, step.attributes);
      }
    }
  }

  /** What config-sync's QUERYs would read. */
  actual(): ActualState {
    const entities = new Map<RouterEntityType, ManagedEntity[]>();
    for (const row of this.#rows.values()) {
      const list = entities.get(row.type) ?? [];
      list.push({
        type: row.type,
        name: typeof row.attributes.name === "string" ? row.attributes.name : undefined,
        identity: String(row.attributes.identity),
        attributes: { ...row.attributes },
      });
      entities.set(row.type, list);
    }
    const router = entities.get("router")?.[0] ?? {
      type: "router",
      name: undefined,
      identity: "0",
      attributes: { id: this.routerId, mode: this.mode },
    };
    return {
      identity: {
        routerId: this.routerId,
        mode: this.mode,
        flavour: this.flavour,
        uptimeSeconds: 12,
        version: undefined,
        entity: router,
      },
      entities,
      unread: [],
    };
  }
}
