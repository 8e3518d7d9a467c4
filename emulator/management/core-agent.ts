/**
 * The half of a router's management agent that the real router runs in its C core
 * (src/router_core/management_agent.c, agent.c, agent_*.c of qdrouterd 1.19.0 and
 * skupper-router 3.5.1): QUERY, CREATE, READ, UPDATE and DELETE of the types catalog.ts
 * marks `core`. Its ways, which differ from the Python agent's:
 * - QUERY columns follow the core's own order; an attribute name it does not know is
 *   answered as its first column (`qdr_agent_set_columns` leaves that column index at 0);
 * - CREATE of address/linkRoute/autoLink reads only the keys it knows and ignores the rest:
 *   an unknown distribution becomes `balanced`, a boolean given as text is false
 *   (`qd_parse_as_bool` takes only AMQP booleans); names are unique across the three types;
 * - READ or DELETE of a name it does not have is 404 "Not Found" — also when the name
 *   belongs to an entity of another type (the Python agent's entities are not its);
 * - some requests get no answer at all (`qdr_manage_*_CT` has an empty case for them):
 *   UPDATE of address, linkRoute, autoLink, router, router.address; CREATE of connection,
 *   router.address (and qdrouterd's router.link); DELETE of router.address (and
 *   qdrouterd's router.link); READ of router.link. Others are 403 Forbidden.
 * Checked against running qdrouterd 1.19.0 and skupper-router 3.5.1.
 */

import { CORE_CONFIG_TYPES, type StoredEntity } from "../entities/entity-store.ts";
import type { Attributes, ConfigEntityType } from "../entities/schema.ts";
import {
  type AgentContext,
  AgentError,
  configRow,
  type ManagementOutcome,
  project,
  respond,
} from "./agent-context.ts";
import type { ManagedType } from "./catalog.ts";

const CORE_OPERATIONS = new Set(["QUERY", "CREATE", "READ", "UPDATE", "DELETE"]);
/** `QDR_AGENT_MAX_COLUMNS`: a longer attribute list counts as none (all columns). */
const MAX_COLUMNS = 64;
/** `QDR_MAX_PRIORITY`. */
const MAX_PRIORITY = 9;

/** The core type a request is for, when the core agent takes it (`qd_can_handle_request`). */
export function coreTypeOf(
  context: AgentContext,
  properties: Record<string, unknown>,
): ManagedType | undefined {
  const named = properties.entityType ?? properties.type;
  const operation = properties.operation;
  if (typeof named !== "string" || typeof operation !== "string") return undefined;
  if (!named.startsWith(context.prefix) || !CORE_OPERATIONS.has(operation)) return undefined;
  const type = context.catalog.get(named.slice(context.prefix.length));
  return type?.agent === "core" ? type : undefined;
}

/** The requests of each kind the core drops without an answer, per flavour. */
const UNANSWERED: Record<string, Record<string, readonly string[]>> = {
  "qpid-dispatch": {
    CREATE: ["connection", "router.link", "router.address"],
    READ: ["router.link"],
    DELETE: ["router.link", "router.address"],
    UPDATE: [...CORE_CONFIG_TYPES, "router", "router.address"],
  },
  "skupper-router": {
    CREATE: ["connection", "router.address"],
    READ: ["router.link"],
    DELETE: ["router.address"],
    UPDATE: [...CORE_CONFIG_TYPES, "router.address"],
  },
};

/** …and those it answers 403 Forbidden (`qdr_agent_forbidden`; null body but for DELETE). */
const FORBIDDEN: Record<string, Record<string, readonly string[]>> = {
  "qpid-dispatch": {
    CREATE: ["router"],
    READ: ["router"],
    DELETE: ["connection", "router"],
    UPDATE: [],
  },
  "skupper-router": {
    CREATE: ["routerMetrics", "router.link"],
    READ: ["routerMetrics"],
    DELETE: ["connection", "routerMetrics", "router.link"],
    UPDATE: ["routerMetrics", "router.link"],
  },
};

export async function handleCore(
  context: AgentContext,
  type: ManagedType,
  operation: string,
  properties: Record<string, unknown>,
  body: unknown,
): Promise<ManagementOutcome> {
  const flavour = context.router.flavour;
  if (UNANSWERED[flavour]![operation]?.includes(type.short)) return undefined;
  if (FORBIDDEN[flavour]![operation]?.includes(type.short)) {
    return respond(403, operation === "DELETE" ? {} : null);
  }
  try {
    switch (operation) {
      case "QUERY":
        return query(context, type, properties, body);
      case "READ": {
        const row = rowsOf(context, type).find(matches(properties));
        return row ? respond(200, asMap(row, type)) : respond(404, {});
      }
      case "CREATE":
        return await create(context, type, properties.name, body);
      case "DELETE":
        return await remove(context, type, properties);
      default:
        return update(context, type, properties, body);
    }
  } catch (error) {
    if (error instanceof AgentError) {
      return respond(error.statusCode, error.body, error.message);
    }
    throw error;
  }
}

function rowsOf(context: AgentContext, type: ManagedType): Attributes[] {
  if (CORE_CONFIG_TYPES.has(type.short as ConfigEntityType)) {
    return entitiesOf(context, type).map((entity) => configRow(context, entity));
  }
  return context.router.runtimeRows(type.short);
}

function entitiesOf(context: AgentContext, type: ManagedType): StoredEntity[] {
  return context.router.store.ofType(type.short as ConfigEntityType);
}

/** The core looks up by identity when given, else by name; neither is a bad request. */
function matches(properties: Record<string, unknown>): (row: Attributes) => boolean {
  const { identity, name } = properties;
  if (typeof identity === "string") return (row) => row.identity === identity;
  if (typeof name === "string") return (row) => row.name === name;
  throw new AgentError(400, "No name or identity provided");
}

function asMap(row: Attributes, type: ManagedType): Attributes {
  return Object.fromEntries(type.columns.map((column) => [column, row[column] ?? null]));
}

function query(
  context: AgentContext,
  type: ManagedType,
  properties: Record<string, unknown>,
  body: unknown,
): ManagementOutcome {
  const requested = (body as { attributeNames?: unknown } | null | undefined)?.attributeNames;
  const all =
    !Array.isArray(requested) || requested.length === 0 || requested.length >= MAX_COLUMNS;
  const columns = all
    ? [...type.columns]
    : requested.map((name) =>
        typeof name === "string" && type.columns.includes(name) ? name : type.columns[0]!,
      );
  const offset = Math.max(0, Number(properties.offset ?? 0) || 0);
  const count = properties.count === undefined ? -1 : Number(properties.count);
  const rows = rowsOf(context, type);
  const page = rows.slice(offset, count >= 0 ? offset + count : undefined);
  return respond(200, { attributeNames: columns, results: page.map((r) => project(r, columns)) });
}

// ---- CREATE of address, linkRoute, autoLink ----------------------------------------

type Body = Record<string, unknown>;

const isBoolTrue = (value: unknown): boolean => value === true;
const textOf = (value: unknown): string | undefined =>
  value === undefined || value === null ? undefined : String(value);

/** `qd_parse_as_long`: numbers, numeric text, true as 1; anything else 0. */
function longOf(value: unknown, absent: number): number {
  if (value === undefined) return absent;
  if (typeof value === "number") return Math.trunc(value);
  if (value === true) return 1;
  if (typeof value === "string" && /^\s*[-+]?\d+/.test(value)) return Number.parseInt(value, 10);
  return 0;
}

function direction(value: unknown, missing: string): "in" | "out" {
  if (value === undefined) throw new AgentError(400, missing, null);
  if (value === "in" || value === "out") return value;
  throw new AgentError(400, "Invalid value for 'direction'", null);
}

function prefixOrPattern(b: Body): { prefix?: string; pattern?: string } {
  const prefix = textOf(b.prefix);
  const pattern = textOf(b.pattern);
  if (prefix === undefined && pattern === undefined) {
    throw new AgentError(400, "Either a 'prefix' or 'pattern' attribute must be provided", null);
  }
  if (prefix !== undefined && pattern !== undefined) {
    throw new AgentError(400, "Cannot specify both a 'prefix' and a 'pattern' attribute", null);
  }
  return prefix !== undefined ? { prefix } : { pattern: pattern! };
}

/** agent_config_address.c `qdra_config_address_create_CT`. */
function addressAttributes(context: AgentContext, b: Body): Attributes {
  const skupper = context.router.flavour === "skupper-router";
  const where = prefixOrPattern(b);
  const waypoint = !skupper && isBoolTrue(b.waypoint);
  const fallback = !skupper && isBoolTrue(b.fallback);
  let ingress = skupper ? -1 : longOf(b.ingressPhase, -1);
  let egress = skupper ? -1 : longOf(b.egressPhase, -1);
  const priority = longOf(b.priority, -1);
  if (fallback && (waypoint || ingress > 0 || egress > 0)) {
    throw new AgentError(
      400,
      "Fallback cannot be specified with waypoint or non-zero ingress and egress phases",
      null,
    );
  }
  if (ingress === -1 && egress === -1) {
    ingress = 0;
    egress = waypoint ? 1 : 0;
  }
  if (ingress < 0 || ingress > 9 || egress < 0 || egress > 9) {
    throw new AgentError(400, "Phase values must be between 0 and 9", null);
  }
  if (priority > MAX_PRIORITY) {
    throw new AgentError(
      400,
      "Priority value, if present, must be between 0 and QDR_MAX_PRIORITY",
      null,
    );
  }
  const key = (a: Attributes): string => (a.prefix != null ? `${a.prefix}/#` : String(a.pattern));
  const wanted = key(where as Attributes);
  if (
    context.router.store.ofType("router.config.address").some((e) => key(e.attributes) === wanted)
  ) {
    // qd_parse_tree_add_pattern_str refuses a second rule for one pattern: qd_error_name().
    throw new AgentError(400, "Already exists", null);
  }
  const known = ["multicast", "closest", "balanced", "unavailable"];
  const distribution =
    typeof b.distribution === "string" && known.includes(b.distribution)
      ? b.distribution
      : "balanced";
  return {
    ...where,
    distribution,
    waypoint,
    ingressPhase: ingress,
    egressPhase: egress,
    priority,
    fallback,
  };
}

/** agent_config_link_route.c `qdra_config_link_route_create_CT`. */
function linkRouteAttributes(b: Body): Attributes {
  const connection = textOf(b.connection);
  const containerId = textOf(b.containerId);
  if (connection !== undefined && containerId !== undefined) {
    throw new AgentError(
      400,
      "Both connection and containerId cannot be specified. Specify only one",
      null,
    );
  }
  const dir = direction(
    b.direction ?? b.dir,
    "No 'direction' attribute provided - it is mandatory",
  );
  const where = prefixOrPattern(b);
  if (b.distribution !== undefined && b.distribution !== "linkBalanced") {
    throw new AgentError(400, "Invalid value for 'distribution'", null);
  }
  const attributes: Attributes = { ...where, direction: dir, distribution: "linkBalanced" };
  if (connection !== undefined) attributes.connection = connection;
  if (containerId !== undefined) attributes.containerId = containerId;
  for (const key of ["addExternalPrefix", "delExternalPrefix"]) {
    const value = textOf(b[key]);
    if (value !== undefined) attributes[key] = value;
  }
  return attributes;
}

/** agent_config_auto_link.c `qdra_config_auto_link_create_CT`. */
function autoLinkAttributes(context: AgentContext, b: Body): Attributes {
  const address = textOf(b.address ?? b.addr);
  const dirValue = b.direction ?? b.dir;
  const connection = textOf(b.connection);
  const containerId = textOf(b.containerId);
  const externalAddress = textOf(b.externalAddress ?? b.externalAddr);
  if (connection !== undefined && containerId !== undefined) {
    throw new AgentError(
      400,
      "Both connection and containerId cannot be specified. Specify only one",
      null,
    );
  }
  const fallback = context.router.flavour === "qpid-dispatch" && isBoolTrue(b.fallback);
  if (address === undefined || dirValue === undefined) {
    throw new AgentError(400, "address and direction fields are mandatory", null);
  }
  const dir = direction(dirValue, "address and direction fields are mandatory");
  const phase = longOf(b.phase, dir === "out" || fallback ? 0 : 1);
  if (phase < 0 || phase > 9) {
    throw new AgentError(400, "autoLink phase must be between 0 and 9", null);
  }
  const attributes: Attributes = { address, direction: dir, phase, fallback };
  if (connection !== undefined) attributes.connection = connection;
  if (containerId !== undefined) attributes.containerId = containerId;
  if (externalAddress !== undefined) attributes.externalAddress = externalAddress;
  return attributes;
}

async function create(
  context: AgentContext,
  type: ManagedType,
  name: unknown,
  body: unknown,
): Promise<ManagementOutcome> {
  const store = context.router.store;
  if (typeof name === "string") {
    const taken = store.find("name", name);
    if (taken && CORE_CONFIG_TYPES.has(taken.type)) {
      throw new AgentError(400, "Name conflicts with an existing entity", null);
    }
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new AgentError(400, "Body of request must be a map", null);
  }
  const b = body as Body;
  const short = type.short as ConfigEntityType;
  const attributes =
    short === "router.config.address"
      ? addressAttributes(context, b)
      : short === "router.config.linkRoute"
        ? linkRouteAttributes(b)
        : autoLinkAttributes(context, b);
  if (typeof name === "string") attributes.name = name;
  const entity = store.add(short, attributes, false);
  try {
    await context.router.activate(entity);
  } catch (error) {
    store.remove(entity);
    // The emulator could not apply it (e.g. a bad pattern): refused like a core error.
    throw new AgentError(400, error instanceof Error ? error.message : String(error), null);
  }
  return respond(201, asMap(configRow(context, entity), type));
}

async function remove(
  context: AgentContext,
  type: ManagedType,
  properties: Record<string, unknown>,
): Promise<ManagementOutcome> {
  const match = matches(properties);
  const entity = entitiesOf(context, type).find((e) => match(e.attributes));
  if (!entity) return respond(404, {});
  await context.router.deactivate(entity);
  context.router.store.remove(entity);
  return respond(204, {});
}

/** agent_connection.c `qdra_connection_update_CT`; qdrouterd's link UPDATE. */
function update(
  context: AgentContext,
  type: ManagedType,
  properties: Record<string, unknown>,
  body: unknown,
): ManagementOutcome {
  const identity = properties.identity;
  const b =
    typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Body) : undefined;
  if (!b || typeof identity !== "string") return respond(400, {});
  if (type.short === "router.link") {
    if (b.adminStatus === undefined) return respond(400, {});
    return respond(501, {}, "The emulator does not change a link's adminStatus");
  }
  if (b.adminStatus === undefined && b.enableProtocolTrace === undefined) return respond(400, {});
  const row = context.router.runtimeRows("connection").find((r) => r.identity === identity);
  if (!row) return respond(400, {});
  if (b.adminStatus === "deleted") context.router.closeConnection(identity);
  return respond(200, asMap(row, type));
}
