/**
 * Typed AMQP management of one router: CREATE, READ, UPDATE, DELETE, QUERY (paged),
 * GET-TYPES and GET-MGMT-NODES on its `$management` node, over the shared client's
 * request/response (a dynamic reply receiver; the reply matched by correlation id, the only
 * id real routers copy). Every request settles: with its result, or with a typed error from
 * errors.ts carrying the router's status description.
 */
import {
  ClientClosedError,
  ConnectionFailedError,
  LinkRefusedError,
  type MeshMessage,
  type PublishOptions,
  type ReceivedMessage,
  RequestTimeoutError,
} from "../amqp/index.ts";
import type { RouterFlavour } from "../router-vocabulary/index.ts";
import {
  ManagementAccessError,
  ManagementError,
  ManagementNoReplyError,
  type ManagementRequestInfo,
  ManagementUnreachableError,
} from "./errors.ts";
import {
  attributeMapSchema,
  entitiesOfQuery,
  entityOf,
  type ManagedEntity,
  mgmtNodesBodySchema,
  parseBody,
  queryBodySchema,
  replyBody,
  typesBodySchema,
} from "./reply.ts";
import { MANAGEMENT_NODE_TYPE, type ManagementEntityType, managementTypeName } from "./types.ts";

/** What the client needs of the shared AMQP client (MeshClient has it). */
export interface ManagementTransport {
  request(
    address: string,
    message: MeshMessage,
    options: { timeoutMs?: number } & PublishOptions,
  ): Promise<ReceivedMessage>;
}

/** One finished request, for structured logs (no attribute values: they may hold secrets). */
export interface ManagementOperationEvent {
  operation: string;
  entityType: string | undefined;
  name: string | undefined;
  router: string | undefined;
  durationMs: number;
  /** The status code when the router answered. */
  statusCode: number | undefined;
  error: ManagementError | undefined;
}

export interface ManagementClientOptions {
  flavour: RouterFlavour;
  /** How long to wait for each reply (default 10 s). */
  timeoutMs?: number;
  /** The router's URL without credentials, for errors and logs. */
  router?: string;
  /** The management node's address (default `$management`, the local router's). */
  node?: string;
  /** The principal the connection logs in as, for the access error's hint. */
  principal?: string;
  onOperation?: (event: ManagementOperationEvent) => void;
}

/** QUERY pages are at most this many rows (qdrouterd's agent answers any count). */
export const MAX_PAGE_SIZE = 500;
/** A bound on pages, against an agent that pages forever. */
const MAX_PAGES = 10_000;

export interface QueryOptions {
  /** Attributes to return; all of the type's when absent or empty. */
  attributeNames?: readonly string[];
  /** Rows per request, 1 to MAX_PAGE_SIZE (default MAX_PAGE_SIZE). */
  pageSize?: number;
}

export interface QueryPage {
  attributeNames: string[];
  entities: ManagedEntity[];
}

export type EntityRef = { name: string } | { identity: string };

/**
 * Requests the routers drop without any answer (their C core has an empty case for them;
 * seen on qdrouterd 1.19.0 and skupper-router 3.5.1): waiting for them only ends in a timeout.
 */
const NEVER_ANSWERED: Record<RouterFlavour, Record<string, ReadonlySet<ManagementEntityType>>> = {
  "qpid-dispatch": {
    UPDATE: new Set(["address", "linkRoute", "autoLink", "router", "router.address"]),
    CREATE: new Set(["connection", "router.address", "router.link"]),
  },
  "skupper-router": {
    UPDATE: new Set(["address", "autoLink", "router.address"]),
    CREATE: new Set(["connection", "router.address"]),
  },
};

export class ManagementClient {
  readonly flavour: RouterFlavour;
  readonly router: string | undefined;
  readonly #transport: ManagementTransport;
  readonly #timeoutMs: number;
  readonly #node: string;
  readonly #principal: string | undefined;
  readonly #onOperation: ((event: ManagementOperationEvent) => void) | undefined;

  constructor(transport: ManagementTransport, options: ManagementClientOptions) {
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0)
      throw new RangeError(
        `management timeoutMs must be a positive whole number, got ${timeoutMs}`,
      );
    this.#transport = transport;
    this.flavour = options.flavour;
    this.router = options.router;
    this.#timeoutMs = timeoutMs;
    this.#node = options.node ?? "$management";
    this.#principal = options.principal;
    this.#onOperation = options.onOperation;
  }

  /** A client for the same router in another flavour (after GET-TYPES told which it is). */
  withFlavour(flavour: RouterFlavour): ManagementClient {
    return new ManagementClient(this.#transport, {
      flavour,
      timeoutMs: this.#timeoutMs,
      node: this.#node,
      ...(this.router === undefined ? {} : { router: this.router }),
      ...(this.#principal === undefined ? {} : { principal: this.#principal }),
      ...(this.#onOperation === undefined ? {} : { onOperation: this.#onOperation }),
    });
  }

  async create(
    type: ManagementEntityType,
    name: string,
    attributes: Record<string, unknown>,
  ): Promise<ManagedEntity> {
    const entityType = managementTypeName(this.flavour, type);
    const info = this.#info("CREATE", entityType, name);
    const body = await this.#request(
      info,
      type,
      { operation: "CREATE", type: entityType, name },
      {
        ...attributes,
        name,
      },
    );
    return entityOf(type, parseBody(info, attributeMapSchema, body ?? {}));
  }

  async read(type: ManagementEntityType, ref: EntityRef): Promise<ManagedEntity> {
    const entityType = managementTypeName(this.flavour, type);
    const info = this.#info("READ", entityType, "name" in ref ? ref.name : ref.identity);
    const body = await this.#request(
      info,
      type,
      { operation: "READ", type: entityType, ...ref },
      {},
    );
    return entityOf(type, parseBody(info, attributeMapSchema, body));
  }

  /** UPDATE merges `attributes` into the entity's (an attribute cannot be taken away). */
  async update(
    type: ManagementEntityType,
    ref: EntityRef,
    attributes: Record<string, unknown>,
  ): Promise<ManagedEntity> {
    const entityType = managementTypeName(this.flavour, type);
    const info = this.#info("UPDATE", entityType, "name" in ref ? ref.name : ref.identity);
    const body = await this.#request(
      info,
      type,
      { operation: "UPDATE", type: entityType, ...ref },
      attributes,
    );
    return entityOf(type, parseBody(info, attributeMapSchema, body ?? {}));
  }

  async delete(type: ManagementEntityType, ref: EntityRef): Promise<void> {
    const entityType = managementTypeName(this.flavour, type);
    const info = this.#info("DELETE", entityType, "name" in ref ? ref.name : ref.identity);
    await this.#request(info, type, { operation: "DELETE", type: entityType, ...ref }, {});
  }

  /** One page of a QUERY: `count` rows from `offset`. */
  async queryPage(
    type: ManagementEntityType,
    page: { offset: number; count: number; attributeNames?: readonly string[] },
  ): Promise<QueryPage> {
    const entityType = managementTypeName(this.flavour, type);
    const info = this.#info("QUERY", entityType, undefined);
    if (!Number.isSafeInteger(page.offset) || page.offset < 0)
      throw new RangeError(`QUERY offset must be a whole number ≥ 0, got ${page.offset}`);
    if (!Number.isSafeInteger(page.count) || page.count < 1 || page.count > MAX_PAGE_SIZE)
      throw new RangeError(`QUERY count must be 1 to ${MAX_PAGE_SIZE}, got ${page.count}`);
    const body = await this.#request(
      info,
      type,
      {
        operation: "QUERY",
        type: MANAGEMENT_NODE_TYPE,
        entityType,
        offset: page.offset,
        count: page.count,
      },
      { attributeNames: [...(page.attributeNames ?? [])] },
    );
    const parsed = parseBody(info, queryBodySchema, body);
    return { attributeNames: parsed.attributeNames, entities: entitiesOfQuery(type, parsed) };
  }

  /**
   * Every entity of a type, page by page (at most MAX_PAGE_SIZE rows a request). The
   * routers' Python agent (listener, vhost, sslProfile…) ignores offset and count and answers
   * with every row: a page longer than asked for, or one with nothing new, ends the walk.
   */
  async query(type: ManagementEntityType, options: QueryOptions = {}): Promise<ManagedEntity[]> {
    const pageSize = options.pageSize ?? MAX_PAGE_SIZE;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE)
      throw new RangeError(`QUERY pageSize must be 1 to ${MAX_PAGE_SIZE}, got ${pageSize}`);
    // Paging needs a key to see repeats by: the identity, asked for when names are given.
    const names = options.attributeNames ?? [];
    const attributeNames =
      names.length === 0 || names.includes("identity") ? names : [...names, "identity"];
    const seen = new Set<string>();
    const all: ManagedEntity[] = [];
    for (let pageIndex = 0, offset = 0; pageIndex < MAX_PAGES; pageIndex++) {
      const page = await this.queryPage(type, { offset, count: pageSize, attributeNames });
      let fresh = 0;
      for (const entity of page.entities) {
        const key = entity.identity ?? `row ${offset + fresh}`;
        if (seen.has(key)) continue;
        seen.add(key);
        all.push(entity);
        fresh++;
      }
      if (page.entities.length !== pageSize || fresh === 0) return all;
      offset += pageSize;
    }
    return all;
  }

  /** The management nodes of every router this one knows (`amqp:/_topo/0/<id>/$management`). */
  async getMgmtNodes(): Promise<string[]> {
    const info = this.#info("GET-MGMT-NODES", MANAGEMENT_NODE_TYPE, "self");
    const body = await this.#request(
      info,
      undefined,
      { operation: "GET-MGMT-NODES", type: MANAGEMENT_NODE_TYPE, name: "self" },
      {},
    );
    return parseBody(info, mgmtNodesBodySchema, body);
  }

  /** Every type the router has, each with its base types (fully qualified). */
  async getTypes(): Promise<Record<string, string[]>> {
    const info = this.#info("GET-TYPES", MANAGEMENT_NODE_TYPE, "self");
    const body = await this.#request(
      info,
      undefined,
      { operation: "GET-TYPES", type: MANAGEMENT_NODE_TYPE, name: "self" },
      {},
    );
    return parseBody(info, typesBodySchema, body);
  }

  #info(operation: string, entityType: string, name: string | undefined): ManagementRequestInfo {
    return { operation, entityType, name, router: this.router };
  }

  async #request(
    info: ManagementRequestInfo,
    type: ManagementEntityType | undefined,
    properties: Record<string, string | number>,
    body: Record<string, unknown>,
  ): Promise<unknown> {
    const started = performance.now();
    let statusCode: number | undefined;
    try {
      const reply = await this.#transport.request(
        this.#node,
        {
          body: body as MeshMessage["body"],
          bodySection: "value",
          applicationProperties: properties,
        },
        { timeoutMs: this.#timeoutMs, deadline: this.#timeoutMs },
      );
      const code = reply.applicationProperties.statusCode;
      statusCode = typeof code === "number" ? code : undefined;
      const result = replyBody(info, reply);
      this.#report(info, started, statusCode, undefined);
      return result;
    } catch (error) {
      const typed = this.#typed(info, type, error);
      this.#report(info, started, statusCode, typed);
      throw typed;
    }
  }

  #report(
    info: ManagementRequestInfo,
    started: number,
    statusCode: number | undefined,
    error: ManagementError | undefined,
  ): void {
    this.#onOperation?.({
      operation: info.operation,
      entityType: info.entityType,
      name: info.name,
      router: info.router,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      statusCode,
      error,
    });
  }

  #typed(
    info: ManagementRequestInfo,
    type: ManagementEntityType | undefined,
    error: unknown,
  ): ManagementError {
    if (error instanceof ManagementError) return error;
    if (error instanceof RequestTimeoutError) {
      if (error.reason === "connection-lost")
        return new ManagementUnreachableError(
          info,
          "the connection was lost before the reply came",
          "the router may have restarted: run again",
          error,
        );
      const never =
        type !== undefined && (NEVER_ANSWERED[this.flavour][info.operation]?.has(type) ?? false);
      return new ManagementNoReplyError(info, this.#timeoutMs, never, error);
    }
    if (error instanceof LinkRefusedError) {
      const who =
        this.#principal === undefined ? "the principal" : `principal '${this.#principal}'`;
      return new ManagementAccessError(
        info,
        `the router refused ${error.address ?? "the link"} (${error.condition ?? "no condition"}${error.description ? `: ${error.description}` : ""})`,
        `the router's vhost policy must let ${who} send to $management and open a dynamic reply receiver: generate the router configs with managementPrincipals naming it`,
        error.condition,
        error,
      );
    }
    if (error instanceof ConnectionFailedError || error instanceof ClientClosedError) {
      return new ManagementUnreachableError(
        info,
        error.message,
        "check the router URL, that the router runs, and the principal's SASL name and password",
        error,
      );
    }
    const text = error instanceof Error ? error.message : String(error);
    return new ManagementError(
      info,
      `the request failed: ${text}`,
      "run again; see the cause",
      error,
    );
  }
}
