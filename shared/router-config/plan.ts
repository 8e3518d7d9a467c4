import stableStringify from "fast-json-stable-stringify";
import {
  entityName,
  isOwnedEntity,
  type RouterConfig,
  type RouterEntity,
  type RouterEntityType,
} from "./model.ts";
import { compareText } from "./scope.ts";

/** What has to change on one router to turn its old config into the new one. */
export interface RouterChangePlan {
  routerId: string;
  /** Owned entities to delete, in the order to delete them (dependents first). */
  delete: RouterEntity[];
  /** Owned entities to create, in the order to create them (dependencies first). */
  create: RouterEntity[];
}

/**
 * Creation order: profiles before the connections that use them, connections before the
 * link routes and auto-links naming them. Deletion runs the other way round.
 */
const CREATE_ORDER: RouterEntityType[] = [
  "log",
  "authServicePlugin",
  "sslProfile",
  "listener",
  "connector",
  "vhost",
  "address",
  "linkRoute",
  "autoLink",
];

function rank(type: RouterEntityType): number {
  const index = CREATE_ORDER.indexOf(type);
  return index < 0 ? CREATE_ORDER.length : index;
}

/** Attribute order, also inside map values (`groups`), never counts as a change. */
function sameAttributes(a: RouterEntity, b: RouterEntity): boolean {
  return stableStringify(a.attributes) === stableStringify(b.attributes);
}

function ownedByKey(config: RouterConfig | undefined): Map<string, RouterEntity> {
  const owned = new Map<string, RouterEntity>();
  for (const entity of config?.entities ?? [])
    if (isOwnedEntity(entity)) owned.set(`${entity.type}\n${entityName(entity)}`, entity);
  return owned;
}

function byCreateOrder(a: RouterEntity, b: RouterEntity): number {
  return rank(a.type) - rank(b.type) || compareText(entityName(a) ?? "", entityName(b) ?? "");
}

/**
 * The CREATE/DELETE plan per router (routers of either side, sorted by id). Only entities
 * whose name starts with OWNED_NAME_PREFIX are considered; a changed entity is deleted and
 * created again, since address, linkRoute, autoLink, listener and connector have no UPDATE.
 */
export function planRouterChanges(
  oldConfigs: readonly RouterConfig[],
  newConfigs: readonly RouterConfig[],
): RouterChangePlan[] {
  const ids = [...new Set([...oldConfigs, ...newConfigs].map((c) => c.routerId))].sort(compareText);
  return ids.map((routerId) => {
    const before = ownedByKey(oldConfigs.find((c) => c.routerId === routerId));
    const after = ownedByKey(newConfigs.find((c) => c.routerId === routerId));
    const toDelete: RouterEntity[] = [];
    const toCreate: RouterEntity[] = [];
    for (const [key, entity] of before) {
      const next = after.get(key);
      if (next !== undefined && sameAttributes(next, entity)) continue;
      toDelete.push(entity);
      if (next !== undefined) toCreate.push(next);
    }
    for (const [key, entity] of after) if (!before.has(key)) toCreate.push(entity);
    return {
      routerId,
      delete: toDelete.sort(byCreateOrder).reverse(),
      create: toCreate.sort(byCreateOrder),
    };
  });
}

export function hasChanges(plans: readonly RouterChangePlan[]): boolean {
  return plans.some((p) => p.create.length > 0 || p.delete.length > 0);
}

function describe(entity: RouterEntity): string {
  const details = Object.entries(entity.attributes)
    .filter(([key, value]) => key !== "name" && typeof value !== "object")
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(", ");
  return `${entity.type} ${entityName(entity)}${details === "" ? "" : ` (${details})`}`;
}

/** A human summary: per router, `-` lines to delete and `+` lines to create. */
export function formatRouterPlans(plans: readonly RouterChangePlan[]): string {
  const lines: string[] = [];
  for (const plan of plans) {
    if (plan.create.length === 0 && plan.delete.length === 0) {
      lines.push(`${plan.routerId}: no changes`);
      continue;
    }
    lines.push(
      `${plan.routerId}: ${plan.delete.length} to delete, ${plan.create.length} to create`,
    );
    for (const entity of plan.delete) lines.push(`  - ${describe(entity)}`);
    for (const entity of plan.create) lines.push(`  + ${describe(entity)}`);
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}
