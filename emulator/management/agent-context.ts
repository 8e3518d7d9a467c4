/**
 * What the two halves of a router's management agent share: the router they answer for,
 * its flavour's type catalog, answers and their status texts, and the rows of its
 * configuration entities.
 */
import type { RouterFlavour } from "../../shared/router-vocabulary/index.ts";
import {
  CORE_CONFIG_TYPES,
  type EntityStore,
  type StoredEntity,
} from "../entities/entity-store.ts";
import type { Attributes } from "../entities/schema.ts";
import type { Catalog } from "./catalog.ts";

export interface ManagementResponse {
  statusCode: number;
  statusDescription: string;
  body: unknown;
}

/** An answer, or none: some requests a real router never answers (see core-agent.ts). */
export type ManagementOutcome = ManagementResponse | undefined;

/** What the agent needs from its router. */
export interface ManagedRouter {
  readonly id: string;
  readonly flavour: RouterFlavour;
  readonly store: EntityStore;
  /** Applies a new entity (opens a listener, adds an address rule…); throws to refuse it. */
  activate(entity: StoredEntity): Promise<void>;
  deactivate(entity: StoredEntity): Promise<void>;
  /** Rows of a runtime type (catalog short name), with every column the type may show. */
  runtimeRows(type: string): Attributes[];
  /** Attributes that change at runtime (e.g. autoLink operStatus), refreshed before reads. */
  refresh(entity: StoredEntity): Attributes;
  /** Closes the client connection with this management identity; false when none. */
  closeConnection(identity: string): boolean;
}

/** HTTP reason phrases, as both agents word their statuses (agent.py STATUS_TEXT). */
export const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  500: "Internal Server Error",
  501: "Not Implemented",
};

export function respond(
  statusCode: number,
  body: unknown,
  description?: string,
): ManagementResponse {
  return { statusCode, statusDescription: description ?? STATUS_TEXT[statusCode] ?? "", body };
}

/**
 * A request the emulated agent refuses: answered with this status code, description and body.
 * (Not shared/management's ManagementError, which a client throws on such an answer.)
 */
export class AgentError extends Error {
  override readonly name = "AgentError";
  readonly statusCode: number;
  /** The body the real router sends with this error ({} or null). */
  readonly body: unknown;
  constructor(statusCode: number, description: string, body: unknown = {}) {
    super(description);
    this.statusCode = statusCode;
    this.body = body;
  }
}

export interface AgentContext {
  readonly router: ManagedRouter;
  readonly catalog: Catalog;
  /** The flavour's type prefix with its dot, e.g. `org.apache.qpid.dispatch.`. */
  readonly prefix: string;
  qualified(short: string): string;
}

const nullable = (value: unknown): Attributes[string] =>
  value === undefined ? null : (value as Attributes[string]);

/**
 * Every column of a core-agent configuration entity (address, linkRoute, autoLink) as the
 * core writes it (src/router_core/agent_config_*.c `*_insert_column_CT`): deprecated
 * columns repeat their successors', phases are derived as the core derives them.
 */
function coreConfigRow(context: AgentContext, entity: StoredEntity): Attributes {
  const a = { ...entity.attributes, ...context.router.refresh(entity) };
  const base = {
    name: nullable(a.name),
    identity: nullable(a.identity),
    type: context.qualified(entity.type),
  };
  switch (entity.type) {
    case "router.config.address": {
      const waypoint = a.waypoint === true;
      const given = typeof a.ingressPhase === "number" || typeof a.egressPhase === "number";
      // Neither router shows a distribution for `unavailable` (agent_config_address.c; both
      // real routers answer null).
      const unshown = a.distribution === "unavailable";
      return {
        ...base,
        prefix: nullable(a.prefix),
        distribution: unshown ? null : nullable(a.distribution),
        waypoint,
        ingressPhase: given ? nullable(a.ingressPhase ?? -1) : 0,
        egressPhase: given ? nullable(a.egressPhase ?? -1) : waypoint ? 1 : 0,
        pattern: nullable(a.pattern),
        priority: nullable(a.priority ?? -1),
        fallback: a.fallback === true,
      };
    }
    case "router.config.linkRoute":
      return {
        ...base,
        prefix: nullable(a.prefix),
        distribution: nullable(a.distribution ?? "linkBalanced"),
        connection: nullable(a.connection),
        containerId: nullable(a.containerId),
        direction: nullable(a.direction),
        dir: nullable(a.direction),
        operStatus: nullable(a.operStatus ?? "inactive"),
        pattern: nullable(a.pattern),
        addExternalPrefix: nullable(a.addExternalPrefix),
        delExternalPrefix: nullable(a.delExternalPrefix),
      };
    default:
      return {
        ...base,
        address: nullable(a.address),
        addr: nullable(a.address),
        direction: nullable(a.direction),
        dir: nullable(a.direction),
        phase: nullable(a.phase),
        connection: nullable(a.connection),
        containerId: nullable(a.containerId),
        externalAddress: nullable(a.externalAddress),
        externalAddr: nullable(a.externalAddress),
        linkRef: nullable(a.linkRef),
        operStatus: nullable(a.operStatus ?? "inactive"),
        lastError: nullable(a.lastError),
        fallback: a.fallback === true,
      };
  }
}

/** A configuration entity's attributes as its agent shows them, with `type` qualified. */
export function configRow(context: AgentContext, entity: StoredEntity): Attributes {
  if (CORE_CONFIG_TYPES.has(entity.type)) return coreConfigRow(context, entity);
  return {
    ...entity.attributes,
    ...context.router.refresh(entity),
    type: context.qualified(entity.type),
  };
}

/** The row's values for `columns`, missing ones null (a QUERY result row). */
export function project(row: Attributes, columns: readonly string[]): Attributes[string][] {
  return columns.map((column) => nullable(row[column]));
}
