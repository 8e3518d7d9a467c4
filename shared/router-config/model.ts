import type { RouterEntityType, RouterFlavour } from "../router-vocabulary/index.ts";
import { SINGLETON_TYPES } from "../router-vocabulary/index.ts";

/**
 * The in-memory form of one router's configuration: exactly the entities a qdrouterd /
 * skupper-router config file holds, in file order. Entity types are the short config-file
 * names (shared/router-vocabulary); management uses the fully qualified names (qualifiedType).
 */

export type EntityAttributes = Record<string, string | number | boolean | Record<string, unknown>>;

export interface RouterEntity {
  type: RouterEntityType;
  attributes: EntityAttributes;
}

export interface RouterConfig {
  routerId: string;
  mode: "interior" | "edge";
  flavour: RouterFlavour;
  entities: RouterEntity[];
}

/** The two file formats a router reads: its native `.conf` and the JSON list of entities. */
export type RouterConfigFormat = "conf" | "json";

/** Name prefix of every entity amqp-mesh creates; config-sync never touches others. */
export const OWNED_NAME_PREFIX = "amqp-mesh/";

/** The entity's `name` attribute, if it has a string one. */
export function entityName(entity: RouterEntity): string | undefined {
  const name = entity.attributes.name;
  return typeof name === "string" ? name : undefined;
}

export function isOwnedEntity(entity: RouterEntity): boolean {
  return entityName(entity)?.startsWith(OWNED_NAME_PREFIX) ?? false;
}

/** Identifies an entity within one router's config: its type, and its name unless a singleton. */
export function entityKey(type: RouterEntityType, name: string | undefined): string {
  return SINGLETON_TYPES.has(type) ? type : `${type}\n${name ?? ""}`;
}
