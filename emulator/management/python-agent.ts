/**
 * The half of a router's management agent that the real router runs in Python
 * (python/qpid_dispatch_internal/management/agent.py and schema.py of qdrouterd 1.19.0;
 * skupper_router_internal of skupper-router 3.5.1): everything the C core does not take —
 * the management node's own operations (QUERY of Python-kept types, GET-TYPES,
 * GET-ATTRIBUTES, GET-OPERATIONS, GET-MGMT-NODES…) and CREATE/READ/UPDATE/DELETE of
 * listener, connector, sslProfile, vhost, router.node, allocator (and skupper-router's
 * router and network). Its ways:
 * - types may be given with or without the flavour prefix (schema.py `_lookup`);
 * - an entity is found by name or identity among all of its entities, whatever the type; a
 *   type that does not match is 400 "Entity type … does not extend requested type …", an
 *   unknown name 404 "No entity with name=…";
 * - an operation a type lacks is 501 "Operation 'X' not implemented for 'T' [ops]";
 * - QUERY returns every attribute (missing ones null) in the schema's order, drops rows
 *   that are all null, ignores offset/count, and answers 404 to unknown attribute names;
 * - READ/CREATE/UPDATE answers carry only the attributes that have a value.
 */

import type { StoredEntity } from "../entities/entity-store.ts";
import { CORE_CONFIG_TYPES } from "../entities/entity-store.ts";
import {
  AttributeError,
  type Attributes,
  type ConfigEntityType,
  ENTITY_TYPES,
  isConfigEntityType,
  normaliseAttributes,
  updateProblem,
} from "../entities/schema.ts";
import { managementAddress } from "../routing/router-addresses.ts";
import {
  type AgentContext,
  AgentError,
  configRow,
  type ManagementOutcome,
  project,
  respond,
} from "./agent-context.ts";
import type { ManagedType } from "./catalog.ts";

/** One entity of the Python agent: a stored one, or one of the router's state. */
interface PythonEntity {
  type: ManagedType;
  row: Attributes;
  stored?: StoredEntity;
}

/** skupper-router's `network` entity (skrouter.json: networkId may be updated). */
export interface NetworkState {
  networkId: string | null;
  tenantId: string | null;
}

/** Runtime types the Python agent keeps, per flavour (the rest of its types are stored). */
const PYTHON_RUNTIME: Record<string, readonly string[]> = {
  "qpid-dispatch": ["router.node", "allocator", "policy"],
  "skupper-router": ["router", "network", "router.node", "allocator", "policy"],
};

/** Python's repr of a list of strings, as the agent's messages print them. */
const pythonList = (items: readonly string[]): string =>
  `[${items.map((item) => `'${item}'`).join(", ")}]`;

const nonNull = (row: Attributes): Attributes =>
  Object.fromEntries(
    Object.entries(row).filter(([, value]) => value !== null && value !== undefined),
  );

export class PythonAgent {
  readonly #context: AgentContext;
  readonly #network: NetworkState = { networkId: null, tenantId: null };

  constructor(context: AgentContext) {
    this.#context = context;
  }

  async handle(properties: Record<string, unknown>, body: unknown): Promise<ManagementOutcome> {
    try {
      const operation = properties.operation;
      if (typeof operation !== "string") {
        throw new AgentError(400, `No 'operation' property: ${JSON.stringify(properties)}`);
      }
      const op = operation.toUpperCase();
      if (op === "CREATE") return await this.#create(properties, body);
      const target = this.#find(properties);
      this.#allowed(target.type, op);
      return await this.#operate(op, target, properties, body);
    } catch (error) {
      if (error instanceof AgentError) {
        return respond(error.statusCode, error.body, error.message);
      }
      if (error instanceof AttributeError) return respond(400, {}, error.message);
      return respond(500, {}, error instanceof Error ? error.message : String(error));
    }
  }

  /** A type by its qualified or short name; 400 "No such entity type" otherwise. */
  #type(name: unknown): ManagedType {
    const text = String(name);
    const short = text.startsWith(this.#context.prefix)
      ? text.slice(this.#context.prefix.length)
      : text;
    const type = this.#context.catalog.get(short);
    if (!type) throw new AgentError(400, `No such entity type '${text}'`);
    return type;
  }

  #entities(): PythonEntity[] {
    const { router, catalog } = this.#context;
    const entities: PythonEntity[] = [this.#self()];
    for (const stored of router.store.all()) {
      if (CORE_CONFIG_TYPES.has(stored.type)) continue;
      entities.push({
        type: catalog.get(stored.type)!,
        row: configRow(this.#context, stored),
        stored,
      });
    }
    for (const short of PYTHON_RUNTIME[router.flavour]!) {
      const type = catalog.get(short)!;
      const rows = short === "network" ? [this.#networkRow()] : router.runtimeRows(short);
      for (const row of rows) entities.push({ type, row });
    }
    return entities;
  }

  #self(): PythonEntity {
    const type = this.#context.catalog.get("management")!;
    return {
      type,
      row: { name: "self", identity: "self", type: this.#context.qualified("management") },
    };
  }

  #networkRow(): Attributes {
    return {
      ...this.#network,
      name: "network/0",
      identity: "network/0",
      type: this.#context.qualified("network"),
    };
  }

  /** agent.py find_entity. */
  #find(properties: Record<string, unknown>): PythonEntity {
    const requested = properties.type === undefined ? undefined : this.#type(properties.type);
    const ids = (["name", "identity"] as const).filter((k) => properties[k] !== undefined);
    if (ids.length === 0) {
      const self = this.#self();
      if (!requested || [self.type.short, ...self.type.bases].includes(requested.short))
        return self;
      throw new AgentError(
        400,
        `${this.#context.qualified(requested.short)}: No name or identity provided`,
      );
    }
    const describe = ids.map((k) => `${k}=${String(properties[k])}`).join(" ");
    const [key] = ids;
    const found = this.#entities().filter((e) => e.row[key!] === properties[key!]);
    if (found.length === 0) throw new AgentError(404, `No entity with ${describe}`);
    const entity = found[0]!;
    for (const k of ids) {
      if (entity.row[k] !== properties[k]) throw new AgentError(400, `Conflicting ${describe}`);
    }
    if (requested && ![entity.type.short, ...entity.type.bases].includes(requested.short)) {
      throw new AgentError(
        400,
        `Entity type '${this.#context.qualified(entity.type.short)}' does not extend requested type '${this.#context.qualified(requested.short)}'`,
      );
    }
    return entity;
  }

  /** schema.py EntityType.allowed. */
  #allowed(type: ManagedType, op: string): void {
    if (!type.operations.includes(op)) {
      throw new AgentError(
        501,
        `Operation '${op}' not implemented for '${this.#context.qualified(type.short)}' ${pythonList(type.operations)}`,
      );
    }
  }

  async #operate(
    op: string,
    target: PythonEntity,
    properties: Record<string, unknown>,
    body: unknown,
  ): Promise<ManagementOutcome> {
    switch (op) {
      case "READ":
        return respond(200, nonNull(target.row));
      case "UPDATE":
        return this.#update(target, body);
      case "DELETE":
        await this.#context.router.deactivate(target.stored!);
        this.#context.router.store.remove(target.stored!);
        return respond(204, {});
      case "QUERY":
        return this.#query(properties, body);
      case "GET-TYPES":
        return respond(200, this.#types(properties.entityType));
      case "GET-ATTRIBUTES":
        return respond(
          200,
          this.#describe(properties.entityType, (t) => t.attributes),
        );
      case "GET-OPERATIONS":
        return respond(
          200,
          this.#describe(properties.entityType, (t) => t.operations),
        );
      case "GET-ANNOTATIONS":
        return respond(200, {});
      case "GET-MGMT-NODES":
        return respond(
          200,
          this.#context.router
            .runtimeRows("router.node")
            .map((row) => `amqp:/${managementAddress(String(row.id))}`),
        );
      case "GET-LOG":
        return respond(200, []);
      case "PROFILE":
        return respond(400, {}, "Profiler not started");
      default:
        return respond(501, {}, `The emulator does not serve ${op}`);
    }
  }

  /** ManagementEntity.query. */
  #query(properties: Record<string, unknown>, body: unknown): ManagementOutcome {
    const entityType =
      properties.entityType === undefined || properties.entityType === null
        ? undefined
        : this.#type(properties.entityType);
    const all = entityType
      ? [...entityType.attributes]
      : [...new Set(this.#context.catalog.types.flatMap((t) => t.attributes))];
    const requested = (body as { attributeNames?: unknown } | null | undefined)?.attributeNames;
    let names = all;
    if (Array.isArray(requested) && requested.length > 0) {
      names = requested.map(String);
      const unknown = [...new Set(names)].filter((n) => !all.includes(n));
      if (unknown.length > 0) {
        const forType = entityType ? ` for type ${this.#context.qualified(entityType.short)}` : "";
        throw new AgentError(404, `Unknown attributes ${pythonList(unknown)}${forType}.`);
      }
    }
    const results = this.#entities()
      .filter((e) => !entityType || [e.type.short, ...e.type.bases].includes(entityType.short))
      .map((e) => project(e.row, names))
      .filter((row) => row.some((value) => value !== null));
    return respond(200, { attributeNames: names, results });
  }

  /** Types that are (or extend) the requested one, each with its bases (get_types). */
  #types(entityType: unknown): Record<string, string[]> {
    const wanted = entityType ? this.#type(entityType).short : undefined;
    return Object.fromEntries(
      this.#context.catalog.types
        .filter((t) => wanted === undefined || t.short === wanted || t.bases.includes(wanted))
        .map((t) => [
          this.#context.qualified(t.short),
          t.bases.map((b) => this.#context.qualified(b)),
        ]),
    );
  }

  #describe(
    entityType: unknown,
    what: (t: ManagedType) => readonly string[],
  ): Record<string, string[]> {
    const wanted = entityType ? this.#type(entityType).short : undefined;
    return Object.fromEntries(
      this.#context.catalog.types
        .filter((t) => wanted === undefined || t.short === wanted)
        .map((t) => [this.#context.qualified(t.short), [...what(t)]]),
    );
  }

  /** Agent.create: a new entity of a type the Python agent creates. */
  async #create(properties: Record<string, unknown>, body: unknown): Promise<ManagementOutcome> {
    const attributes: Record<string, unknown> =
      typeof body === "object" && body !== null && !Array.isArray(body)
        ? { ...(body as object) }
        : {};
    for (const key of ["type", "name"] as const) {
      const given = properties[key];
      if (!given) continue;
      if (attributes[key] !== undefined && attributes[key] !== null && attributes[key] !== given) {
        throw new AgentError(400, `Conflicting values for '${key}'`);
      }
      attributes[key] = given;
    }
    if (attributes.type === undefined || attributes.type === null) {
      throw new AgentError(400, `No 'type' attribute in ${JSON.stringify(attributes)}`);
    }
    const type = this.#type(attributes.type);
    this.#allowed(type, "CREATE");
    if (attributes.identity !== undefined) {
      throw new AgentError(400, "'identity' attribute cannot be specified");
    }
    const short = type.short;
    if (!isConfigEntityType(short)) {
      throw new AgentError(501, `The emulator does not create ${short} entities`);
    }
    this.#createCheck(short, attributes);
    delete attributes.type;
    const normalised = normaliseAttributes(short, attributes, this.#context.router.flavour);
    const store = this.#context.router.store;
    const name = normalised.name;
    if (typeof name === "string" && this.#entities().some((e) => e.row.name === name)) {
      throw new AgentError(400, `Duplicate value '${name}' for unique attribute 'name'`);
    }
    const entity = store.add(short, normalised, false);
    try {
      await this.#context.router.activate(entity);
    } catch (error) {
      store.remove(entity);
      throw new AgentError(400, error instanceof Error ? error.message : String(error));
    }
    return respond(201, nonNull(configRow(this.#context, entity)));
  }

  /** schema.py create_check: every attribute must be one the type lets CREATE set. */
  #createCheck(short: ConfigEntityType, attributes: Record<string, unknown>): void {
    const type = this.#context.catalog.get(short)!;
    for (const name of Object.keys(attributes)) {
      if (name === "type" || name === "name") continue;
      if (NOT_CREATABLE[short]?.includes(name)) {
        throw new AgentError(400, `Cannot set attribute '${name}' in CREATE`);
      }
      if (!type.attributes.includes(name) && !(name in ENTITY_TYPES[short].attributes)) {
        throw new AgentError(
          400,
          `Unknown attribute '${name}' for '${this.#context.qualified(short)}'`,
        );
      }
    }
  }

  /** EntityAdapter.update: update_check, then the merged attributes validated. */
  async #update(target: PythonEntity, body: unknown): Promise<ManagementOutcome> {
    const changes: Record<string, unknown> =
      typeof body === "object" && body !== null && !Array.isArray(body)
        ? { ...(body as object) }
        : {};
    delete changes.type;
    delete changes.identity;
    if (changes.name === target.row.name) delete changes.name;
    if (target.type.short === "network") {
      if (changes.tenantId !== undefined && changes.tenantId !== this.#network.tenantId) {
        throw new AgentError(400, "Cannot update attribute 'tenantId' in UPDATE");
      }
      if (changes.networkId !== undefined) this.#network.networkId = String(changes.networkId);
      return respond(200, nonNull(this.#networkRow()));
    }
    const entity = target.stored!;
    const problem = updateProblem(entity.type, changes, entity.attributes);
    if (problem) throw new AgentError(400, problem);
    const { identity, type: _type, ...current } = entity.attributes;
    const attributes = normaliseAttributes(
      entity.type,
      { ...current, ...changes },
      this.#context.router.flavour,
    );
    await this.#context.router.deactivate(entity);
    entity.attributes = { ...attributes, identity: identity ?? null };
    await this.#context.router.activate(entity);
    return respond(200, nonNull(configRow(this.#context, entity)));
  }
}

/** Attributes the schemas do not let CREATE set (no `create: true`). */
const NOT_CREATABLE: Partial<Record<ConfigEntityType, readonly string[]>> = {
  connector: ["failoverUrls", "connectionStatus", "connectionMsg"],
  vhost: ["maxMessageSize"],
  "router.config.linkRoute": ["operStatus"],
  "router.config.autoLink": ["linkRef", "operStatus", "lastError"],
};
