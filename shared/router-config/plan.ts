import stableStringify from "fast-json-stable-stringify";
import {
  createRanking,
  FLAVOUR_FACTS,
  ROUTER_ENTITY_TYPES,
  type RouterEntityType,
  type RouterFlavour,
  SINGLETON_TYPES,
} from "../router-vocabulary/index.ts";
import {
  type EntityAttributes,
  entityKey,
  entityName,
  isOwnedEntity,
  type RouterConfig,
  type RouterEntity,
} from "./model.ts";
import { compareText } from "./scope.ts";

/**
 * An entity whose attributes change in place. `live`: config-sync sends a management UPDATE
 * (a vhost's groups apply to connections opened after it; open connections keep the rights
 * they got at open). Not live: the type has no UPDATE (the `router` and `policy` singletons
 * are READ-only in both flavours), so the change takes effect only when the router restarts
 * with the new config file.
 */
export interface RouterEntityUpdate {
  type: RouterEntityType;
  /** Undefined for the unnamed singletons (router, policy). */
  name: string | undefined;
  /** Attribute names whose values differ (added, removed or changed), sorted. */
  changed: string[];
  previous: EntityAttributes;
  next: EntityAttributes;
  live: boolean;
}

/** What has to change on one router to turn its old config into the new one. */
export interface RouterChangePlan {
  routerId: string;
  /** Owned entities to delete, in the order to delete them (dependents first). */
  delete: RouterEntity[];
  /** Owned entities to create, in the order to create them (dependencies first). */
  create: RouterEntity[];
  /** Entities changed in place: live UPDATEs and singletons that need a restart. */
  update: RouterEntityUpdate[];
}

/** Creation order of every type a config holds (deletion runs the other way round). */
const rank = createRanking(new Set(ROUTER_ENTITY_TYPES));

/** Attribute order, also inside map values (`groups`), never counts as a change. */
function changedAttributes(before: EntityAttributes, after: EntityAttributes): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names]
    .filter((name) => stableStringify(before[name]) !== stableStringify(after[name]))
    .sort(compareText);
}

/** Equal at a glance: the same object, or the same JSON (key order as well: then changedAttributes decides). */
function sameAttributes(a: RouterEntity, b: RouterEntity): boolean {
  return (
    a === b ||
    a.attributes === b.attributes ||
    JSON.stringify(a.attributes) === JSON.stringify(b.attributes)
  );
}

/** Owned named entities by type and name, and the singletons by type. */
function entitiesByKey(config: RouterConfig | undefined): Map<string, RouterEntity> {
  const byKey = new Map<string, RouterEntity>();
  for (const entity of config?.entities ?? []) {
    if (SINGLETON_TYPES.has(entity.type) || isOwnedEntity(entity))
      byKey.set(entityKey(entity.type, entityName(entity)), entity);
  }
  return byKey;
}

function byCreateOrder(a: { type: RouterEntityType }, b: { type: RouterEntityType }): number {
  return rank(a.type) - rank(b.type);
}

function byOrderThenName(a: RouterEntity, b: RouterEntity): number {
  return byCreateOrder(a, b) || compareText(entityName(a) ?? "", entityName(b) ?? "");
}

/** Whether the flavour can UPDATE every one of `changed` in place (a removed value cannot be). */
function updatableLive(
  flavour: RouterFlavour,
  type: RouterEntityType,
  changed: string[],
  next: EntityAttributes,
): boolean {
  const updatable = FLAVOUR_FACTS[flavour].updatable[type];
  // UPDATE merges the given attributes into the old ones, so it cannot take one away.
  return updatable !== undefined && changed.every((a) => updatable.has(a) && a in next);
}

/**
 * The change plan per router (routers of either side, sorted by id). Only entities whose
 * name starts with OWNED_NAME_PREFIX, and the router/policy singletons, are considered. A
 * changed entity is updated in place where the new config's flavour allows UPDATE of every
 * changed attribute (vhost; sslProfile on skupper-router), else deleted and created again
 * (address, linkRoute, autoLink, listener, connector have no UPDATE; qdrouterd's sslProfile
 * neither). A changed singleton is an update that needs a restart.
 */
export function planRouterChanges(
  oldConfigs: readonly RouterConfig[],
  newConfigs: readonly RouterConfig[],
): RouterChangePlan[] {
  const ids = [...new Set([...oldConfigs, ...newConfigs].map((c) => c.routerId))].sort(compareText);
  return ids.map((routerId) => {
    const oldConfig = oldConfigs.find((c) => c.routerId === routerId);
    const newConfig = newConfigs.find((c) => c.routerId === routerId);
    const flavour = (newConfig ?? oldConfig)!.flavour;
    const before = entitiesByKey(oldConfig);
    const after = entitiesByKey(newConfig);
    const toDelete: RouterEntity[] = [];
    const toCreate: RouterEntity[] = [];
    const toUpdate: RouterEntityUpdate[] = [];
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      const was = before.get(key);
      const now = after.get(key);
      // The same entity, or one written the same (the usual case): nothing changed.
      if (was !== undefined && now !== undefined && sameAttributes(was, now)) continue;
      const type = (now ?? was)!.type;
      const previous = was?.attributes ?? {};
      const next = now?.attributes ?? {};
      const changed = changedAttributes(previous, next);
      if (changed.length === 0) continue;
      const name = entityName((now ?? was)!);
      if (SINGLETON_TYPES.has(type)) {
        // A whole router that appears or goes brings or takes its singletons with its file.
        if (oldConfig !== undefined && newConfig !== undefined)
          toUpdate.push({ type, name, changed, previous, next, live: false });
      } else if (
        was !== undefined &&
        now !== undefined &&
        updatableLive(flavour, type, changed, next)
      ) {
        toUpdate.push({ type, name, changed, previous, next, live: true });
      } else {
        if (was !== undefined) toDelete.push(was);
        if (now !== undefined) toCreate.push(now);
      }
    }
    return {
      routerId,
      delete: toDelete.sort(byOrderThenName).reverse(),
      create: toCreate.sort(byOrderThenName),
      update: toUpdate.sort(
        (a, b) => byCreateOrder(a, b) || compareText(a.name ?? "", b.name ?? ""),
      ),
    };
  });
}

export function hasChanges(plans: readonly RouterChangePlan[]): boolean {
  return plans.some((p) => p.create.length > 0 || p.delete.length > 0 || p.update.length > 0);
}

function describe(entity: RouterEntity): string {
  const details = Object.entries(entity.attributes)
    .filter(([key, value]) => key !== "name" && typeof value !== "object")
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(", ");
  return `${entity.type} ${entityName(entity)}${details === "" ? "" : ` (${details})`}`;
}

function valueText(value: EntityAttributes[string] | undefined): string {
  if (value === undefined) return "(unset)";
  return typeof value === "object" ? "{…}" : String(value);
}

function describeUpdate(update: RouterEntityUpdate): string {
  const what = update.name === undefined ? update.type : `${update.type} ${update.name}`;
  const changes = update.changed
    .map((a) =>
      typeof update.next[a] === "object" || typeof update.previous[a] === "object"
        ? a
        : `${a} ${valueText(update.previous[a])} → ${valueText(update.next[a])}`,
    )
    .join(", ");
  const how = update.live
    ? "UPDATE, for connections opened after it"
    : `no UPDATE for ${update.type}: restart the router with the new config`;
  return `${what}: ${changes} (${how})`;
}

function counts(plan: RouterChangePlan): string {
  const live = plan.update.filter((u) => u.live).length;
  const restart = plan.update.length - live;
  return [
    plan.delete.length > 0 ? `${plan.delete.length} to delete` : "",
    plan.create.length > 0 ? `${plan.create.length} to create` : "",
    live > 0 ? `${live} to update` : "",
    restart > 0 ? `${restart} only by restart` : "",
  ]
    .filter((part) => part !== "")
    .join(", ");
}

/**
 * A human summary: per router, `-` lines to delete, `+` to create, `~` to update live and
 * `!` for changes config-sync cannot make (a restart with the new config file makes them).
 */
export function formatRouterPlans(plans: readonly RouterChangePlan[]): string {
  const lines: string[] = [];
  for (const plan of plans) {
    const summary = counts(plan);
    if (summary === "") {
      lines.push(`${plan.routerId}: no changes`);
      continue;
    }
    lines.push(`${plan.routerId}: ${summary}`);
    for (const entity of plan.delete) lines.push(`  - ${describe(entity)}`);
    for (const entity of plan.create) lines.push(`  + ${describe(entity)}`);
    for (const update of plan.update)
      lines.push(`  ${update.live ? "~" : "!"} ${describeUpdate(update)}`);
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}
