/**
 * What each router flavour has and accepts, as far as amqp-mesh emits and reads it. Sources:
 * qpid-dispatch `python/qpid_dispatch/management/qdrouter.json` and the agent column lists in
 * `src/router_core/agent_config_*.c`; skupper-router
 * `python/skupper_router/management/skrouter.json`; GET-TYPES of qdrouterd 1.19.0 and
 * skupper-router 3.5.1. Both routers refuse to start on an attribute their schema does not
 * know ("Unknown attribute"), so we never emit one.
 */
import {
  type ManagementEntityType,
  ROUTER_ENTITY_TYPES,
  type RouterEntityType,
  RUNTIME_ENTITY_TYPES,
  type RuntimeEntityType,
} from "./entity-types.ts";
import type { RouterFlavour } from "./flavours.ts";

/** Every distribution a configured address may have (`router.config.address` `distribution`). */
export const ADDRESS_DISTRIBUTIONS = ["multicast", "closest", "balanced", "unavailable"] as const;
export type AddressDistribution = (typeof ADDRESS_DISTRIBUTIONS)[number];

export interface FlavourFacts {
  /** Config-file sections the flavour knows. */
  entityTypes: ReadonlySet<RouterEntityType>;
  /** Runtime types its management answers. */
  runtimeTypes: ReadonlySet<RuntimeEntityType>;
  /** Values of router.config.address `distribution`; anything else silently becomes balanced. */
  distributions: ReadonlySet<string>;
  /** linkRoute exists (skupper-router removed link routing: skupper-router PR #58). */
  linkRoutes: boolean;
  /** address `waypoint` / autoLink `phase` exist (skupper-router removed them: issue #17). */
  addressPhases: boolean;
  /**
   * Attributes a management UPDATE may change, per type; a type not listed has no UPDATE
   * (router and policy answer 501 "not implemented", READ only). From the schemas'
   * `"operations"` and `"update": true` attributes, checked on the running routers.
   */
  updatable: Partial<Record<RouterEntityType, ReadonlySet<string>>>;
}

const VHOST_UPDATABLE: ReadonlySet<string> = new Set([
  "aliases",
  "maxConnections",
  "maxConnectionsPerUser",
  "maxConnectionsPerHost",
  "allowUnknownUser",
  "groups",
]);
const LOG_UPDATABLE: ReadonlySet<string> = new Set([
  "enable",
  "includeTimestamp",
  "includeSource",
  "outputFile",
]);

/** The facts of a flavour that lacks `lacks` of the types amqp-mesh names. */
function flavourFacts(
  lacks: readonly ManagementEntityType[],
  facts: Omit<FlavourFacts, "entityTypes" | "runtimeTypes" | "linkRoutes">,
): FlavourFacts {
  const has = (type: ManagementEntityType): boolean => !lacks.includes(type);
  return {
    entityTypes: new Set(ROUTER_ENTITY_TYPES.filter(has)),
    runtimeTypes: new Set(RUNTIME_ENTITY_TYPES.filter(has)),
    linkRoutes: has("linkRoute"),
    ...facts,
  };
}

export const FLAVOUR_FACTS: Record<RouterFlavour, FlavourFacts> = {
  "qpid-dispatch": flavourFacts(
    // Only skupper-router has routerMetrics (its router entity has no counters, and no uptime).
    ["routerMetrics"],
    {
      distributions: new Set(["multicast", "closest", "balanced"]),
      addressPhases: true,
      // qdrouterd 1.19's sslProfile has no UPDATE (answers 501): it is deleted and created again.
      updatable: { vhost: VHOST_UPDATABLE, log: LOG_UPDATABLE },
    },
  ),
  "skupper-router": flavourFacts(
    // skrouter.json has no authServicePlugin section, and no linkRoute (see linkRoutes).
    ["authServicePlugin", "linkRoute"],
    {
      distributions: new Set(ADDRESS_DISTRIBUTIONS),
      addressPhases: false,
      updatable: {
        vhost: VHOST_UPDATABLE,
        log: LOG_UPDATABLE,
        // uidFormat is set at CREATE only ("Cannot update attribute 'uidFormat'").
        sslProfile: new Set([
          "ciphers",
          "protocols",
          "caCertFile",
          "certFile",
          "privateKeyFile",
          "password",
          "ordinal",
          "oldestValidOrdinal",
        ]),
      },
    },
  ),
};

/** Whether the flavour's management has the type at all. */
export function flavourHasType(flavour: RouterFlavour, type: ManagementEntityType): boolean {
  const facts = FLAVOUR_FACTS[flavour];
  return (
    facts.entityTypes.has(type as RouterEntityType) ||
    facts.runtimeTypes.has(type as RuntimeEntityType)
  );
}
