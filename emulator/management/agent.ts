/**
 * The `$management` node of one emulated router: AMQP management request/response
 * (operation, type, name/identity in application properties) over the router's entities.
 *
 * What a qdrouterd 1.19 agent answers, and where it was looked up (apache/qpid-dispatch):
 * - types must be fully qualified (`org.apache.qpid.dispatch.router.config.address`, or
 *   `io.skupper.router.` for skupper-router); anything else is 400 "No such entity type"
 *   (python/qpid_dispatch_internal/management/schema.py raises ValidationError → 400).
 * - CREATE 201, READ/QUERY/UPDATE 200, DELETE 204 (agent.py: CREATED, OK, NO_CONTENT).
 * - unknown name/identity → 404 "No entity with name=…" (agent.py find_entity).
 * - an operation a type does not allow → 400 "Operation X not allowed for entity type T".
 * - QUERY: `entityType` property, body `attributeNames`, `offset`/`count` properties;
 *   answer body {attributeNames, results: [[…], …]}.
 */
import { typePrefix } from "../../shared/router-config/model.ts";
import type { RouterFlavour } from "../../shared/topology/schema.ts";
import { managementAddress } from "./management-node.ts";
import {
  AttributeError,
  type Attributes,
  type AttributeValue,
  attributeNamesOf,
  type ConfigEntityType,
  ENTITY_TYPES,
  normaliseAttributes,
  RUNTIME_TYPES,
  type RuntimeEntityType,
} from "./schema.ts";

/** qdrouterd answers with the HTTP reason phrases (python httplib's `responses`). */
const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  500: "Internal Server Error",
  501: "Not Implemented",
};

export interface ManagementResponse {
  statusCode: number;
  statusDescription: string;
  body: unknown;
}

export interface StoredEntity {
  type: ConfigEntityType;
  attributes: Attributes;
  fromConfig: boolean;
}

/** Config entities of one router; cleared to the config file's entities on restart. */
export class EntityStore {
  readonly #entities: StoredEntity[] = [];
  #nextIdentity = 1;

  add(type: ConfigEntityType, attributes: Attributes, fromConfig: boolean): StoredEntity {
    const identity = String(this.#nextIdentity++);
    const name =
      typeof attributes.name === "string"
        ? attributes.name
        : `${ENTITY_TYPES[type].configType}/${this.ofType(type).length}`;
    const entity: StoredEntity = {
      type,
      attributes: { ...attributes, name, identity },
      fromConfig,
    };
    this.#entities.push(entity);
    return entity;
  }

  remove(entity: StoredEntity): void {
    const index = this.#entities.indexOf(entity);
    if (index >= 0) this.#entities.splice(index, 1);
  }

  ofType(type: ConfigEntityType): StoredEntity[] {
    return this.#entities.filter((e) => e.type === type);
  }

  find(key: "name" | "identity", value: string): StoredEntity | undefined {
    return this.#entities.find((e) => e.attributes[key] === value);
  }

  all(): StoredEntity[] {
    return [...this.#entities];
  }

  clear(): void {
    this.#entities.splice(0);
    this.#nextIdentity = 1;
  }
}

/** What the agent needs from its router. */
export interface ManagedRouter {
  readonly id: string;
  readonly flavour: RouterFlavour;
  readonly store: EntityStore;
  /** Applies a new entity (opens a listener, adds an address rule…); throws to refuse it. */
  activate(entity: StoredEntity): Promise<void>;
  deactivate(entity: StoredEntity): Promise<void>;
  /** Current rows of a runtime type, attribute maps keyed by qdrouterd's names. */
  runtimeRows(type: RuntimeEntityType): Attributes[];
  /** Attributes that change at runtime (e.g. autoLink operStatus), refreshed before reads. */
  refresh(entity: StoredEntity): Attributes;
}

class ManagementError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, description: string) {
    super(description);
    this.statusCode = statusCode;
  }
}

function respond(statusCode: number, body: unknown, description?: string): ManagementResponse {
  return { statusCode, statusDescription: description ?? STATUS_TEXT[statusCode] ?? "", body };
}

type AnyType =
  | { kind: "config"; type: ConfigEntityType }
  | { kind: "runtime"; type: RuntimeEntityType };

export class ManagementAgent {
  private readonly router: ManagedRouter;
  constructor(router: ManagedRouter) {
    this.router = router;
  }

  get prefix(): string {
    return `${typePrefix(this.router.flavour)}.`;
  }

  qualified(type: string): string {
    return `${this.prefix}${type}`;
  }

  #resolveType(qualified: unknown): AnyType {
    if (typeof qualified !== "string" || !qualified.startsWith(this.prefix)) {
      throw new ManagementError(400, `No such entity type '${String(qualified)}'`);
    }
    const short = qualified.slice(this.prefix.length);
    if (short in ENTITY_TYPES) {
      const type = short as ConfigEntityType;
      if (type === "router.config.linkRoute" && this.router.flavour === "skupper-router") {
        throw new ManagementError(400, `No such entity type '${qualified}'`);
      }
      return { kind: "config", type };
    }
    if ((RUNTIME_TYPES as readonly string[]).includes(short)) {
      return { kind: "runtime", type: short as RuntimeEntityType };
    }
    throw new ManagementError(400, `No such entity type '${qualified}'`);
  }

  async handle(properties: Record<string, unknown>, body: unknown): Promise<ManagementResponse> {
    try {
      const operation = properties.operation;
      if (typeof operation !== "string") {
        throw new ManagementError(400, "No 'operation' property in request");
      }
      switch (operation.toUpperCase()) {
        case "QUERY":
          return this.#query(properties, body);
        case "CREATE":
          return await this.#create(properties, body);
        case "READ":
          return this.#read(properties);
        case "UPDATE":
          return await this.#update(properties, body);
        case "DELETE":
          return await this.#delete(properties);
        case "GET-TYPES":
          return respond(200, this.#types());
        case "GET-MGMT-NODES":
          return respond(200, this.#managementNodes());
        default:
          throw new ManagementError(501, `Operation '${operation}' not implemented`);
      }
    } catch (error) {
      if (error instanceof ManagementError) {
        return respond(error.statusCode, {}, error.message);
      }
      if (error instanceof AttributeError) return respond(400, {}, error.message);
      return respond(500, {}, error instanceof Error ? error.message : String(error));
    }
  }

  /** agent.py get_mgmt_nodes: the management address of every router.node. */
  #managementNodes(): string[] {
    return this.router
      .runtimeRows("router.node")
      .map((row) => `amqp:/${managementAddress(String(row.id))}`);
  }

  /** Every type this router has: config types (skupper-router has no linkRoute), runtime. */
  #allTypes(): AnyType[] {
    const types: AnyType[] = [];
    for (const type of Object.keys(ENTITY_TYPES) as ConfigEntityType[]) {
      if (type === "router.config.linkRoute" && this.router.flavour === "skupper-router") continue;
      types.push({ kind: "config", type });
    }
    for (const type of RUNTIME_TYPES) types.push({ kind: "runtime", type });
    return types;
  }

  #types(): Record<string, string[]> {
    return Object.fromEntries(this.#allTypes().map((t) => [this.qualified(t.type), []]));
  }

  #rowsOf(type: AnyType): Attributes[] {
    if (type.kind === "runtime") return this.router.runtimeRows(type.type);
    return this.router.store.ofType(type.type).map((e) => this.#view(e));
  }

  #view(entity: StoredEntity): Attributes {
    return {
      ...entity.attributes,
      ...this.router.refresh(entity),
      type: this.qualified(entity.type),
    };
  }

  #query(properties: Record<string, unknown>, body: unknown): ManagementResponse {
    const entityType = properties.entityType;
    const types =
      entityType === undefined || entityType === null
        ? this.#allTypes()
        : [this.#resolveType(entityType)];
    const requested = (body as { attributeNames?: unknown } | null)?.attributeNames;
    let names: string[];
    if (Array.isArray(requested) && requested.length > 0) {
      names = requested.map(String);
    } else if (types.length === 1 && types[0]!.kind === "config") {
      names = [...attributeNamesOf(types[0]!.type as ConfigEntityType)];
    } else {
      const seen = new Set<string>();
      for (const t of types) {
        const rows = this.#rowsOf(t);
        if (t.kind === "config") for (const n of attributeNamesOf(t.type)) seen.add(n);
        for (const row of rows) for (const n of Object.keys(row)) seen.add(n);
      }
      names = [...seen];
    }
    let rows: Attributes[] = [];
    for (const t of types) rows.push(...this.#rowsOf(t));
    const offset = Number(properties.offset ?? 0);
    const count = properties.count === undefined ? undefined : Number(properties.count);
    rows = rows.slice(offset, count === undefined ? undefined : offset + count);
    const results = rows.map((row) => names.map((n) => (row[n] === undefined ? null : row[n])));
    return respond(200, { attributeNames: names, results });
  }

  #findEntity(properties: Record<string, unknown>): {
    type: AnyType;
    entity?: StoredEntity;
    row: Attributes;
  } {
    const type = properties.type === undefined ? undefined : this.#resolveType(properties.type);
    const key = properties.name !== undefined ? "name" : "identity";
    const value = properties[key];
    if (typeof value !== "string") {
      throw new ManagementError(400, "No name or identity provided");
    }
    if (type?.kind === "runtime") {
      const row = this.router.runtimeRows(type.type).find((r) => r[key] === value);
      if (!row) throw new ManagementError(404, `No entity with ${key}=${value}`);
      return { type, row };
    }
    const entity = this.router.store.find(key, value);
    if (!entity && type === undefined) {
      // No type given: runtime entities (connections, links…) are found by name too.
      for (const runtime of RUNTIME_TYPES) {
        const row = this.router.runtimeRows(runtime).find((r) => r[key] === value);
        if (row) return { type: { kind: "runtime", type: runtime }, row };
      }
    }
    if (!entity) throw new ManagementError(404, `No entity with ${key}=${value}`);
    if (type && entity.type !== type.type) {
      // agent.py find_entity: the name exists but under another type → 400, not 404.
      throw new ManagementError(
        400,
        `Entity type '${this.qualified(entity.type)}' does not extend requested type '${this.qualified(type.type)}'`,
      );
    }
    return { type: { kind: "config", type: entity.type }, entity, row: this.#view(entity) };
  }

  #allowed(type: AnyType, operation: "READ" | "UPDATE" | "DELETE" | "CREATE"): void {
    const allowed =
      type.kind === "config"
        ? ENTITY_TYPES[type.type].operations.includes(operation)
        : operation === "READ";
    if (!allowed) {
      throw new ManagementError(
        400,
        `Operation ${operation} not allowed for entity type ${this.qualified(type.type)}`,
      );
    }
  }

  async #create(properties: Record<string, unknown>, body: unknown): Promise<ManagementResponse> {
    const type = this.#resolveType(properties.type);
    this.#allowed(type, "CREATE");
    if (type.kind !== "config") throw new ManagementError(400, "Cannot create");
    const input: Record<string, unknown> = {
      ...(typeof body === "object" && body !== null && !Array.isArray(body)
        ? (body as Record<string, unknown>)
        : {}),
    };
    if (input.type !== undefined && input.type !== properties.type) {
      throw new ManagementError(400, "Conflicting values for 'type'");
    }
    delete input.type;
    if (input.identity !== undefined) {
      throw new ManagementError(400, "'identity' attribute cannot be specified");
    }
    if (typeof properties.name === "string") {
      if (input.name !== undefined && input.name !== properties.name) {
        throw new ManagementError(400, "Conflicting values for 'name'");
      }
      input.name = properties.name;
    }
    const attributes = normaliseAttributes(type.type, input, this.router.flavour);
    if (typeof attributes.name === "string" && this.router.store.find("name", attributes.name)) {
      throw new ManagementError(
        400,
        `Duplicate value '${attributes.name}' for unique attribute 'name'`,
      );
    }
    const entity = this.router.store.add(type.type, attributes, false);
    try {
      await this.router.activate(entity);
    } catch (error) {
      this.router.store.remove(entity);
      throw error instanceof ManagementError || error instanceof AttributeError
        ? error
        : new ManagementError(400, error instanceof Error ? error.message : String(error));
    }
    return respond(201, this.#view(entity));
  }

  #read(properties: Record<string, unknown>): ManagementResponse {
    const found = this.#findEntity(properties);
    this.#allowed(found.type, "READ");
    return respond(200, found.row);
  }

  async #update(properties: Record<string, unknown>, body: unknown): Promise<ManagementResponse> {
    const found = this.#findEntity(properties);
    this.#allowed(found.type, "UPDATE");
    const entity = found.entity!;
    const changes = { ...((body ?? {}) as Record<string, unknown>) };
    delete changes.type;
    delete changes.identity;
    const { identity: _i, type: _t, ...current } = entity.attributes;
    const attributes = normaliseAttributes(
      entity.type,
      { ...current, ...changes } as Record<string, unknown>,
      this.router.flavour,
    );
    await this.router.deactivate(entity);
    entity.attributes = { ...attributes, identity: entity.attributes.identity as AttributeValue };
    await this.router.activate(entity);
    return respond(200, this.#view(entity));
  }

  async #delete(properties: Record<string, unknown>): Promise<ManagementResponse> {
    const found = this.#findEntity(properties);
    this.#allowed(found.type, "DELETE");
    const entity = found.entity!;
    await this.router.deactivate(entity);
    this.router.store.remove(entity);
    return respond(204, {});
  }
}
