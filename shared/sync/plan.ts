/**
 * The minimal plan for one router: its desired config (the generator's, as for its config
 * file) against its actual entities (QUERY), as a value to print, count and apply later.
 *
 * - The actual entities are compared on the attributes the desired ones set (the router adds
 *   its defaults to every entity), plus the few optional attributes amqp-mesh may have set
 *   before and left out now (a linkRoute's `connection`, a connector's `sslProfile`…).
 * - Classification is router-config's planRouterChanges: UPDATE where the flavour has it
 *   (vhost; sslProfile on skupper-router), delete + create otherwise.
 * - Only `amqp-mesh/` entities are ever deleted; others are listed as untouched. Listeners
 *   are the router's way in (config-sync's own connection comes through one): their changes
 *   are reported for a restart with the new config file, as are the router and policy
 *   singletons', which have no UPDATE.
 * - Order: new entities first (dependencies first), then UPDATEs (grants after what they
 *   grant exists, revocations before it goes), then replacements — each DELETE sent right
 *   before its CREATE, so a channel lacks its address for one round trip — then deletions
 *   (dependents first).
 */
import stableStringify from "fast-json-stable-stringify";
import type { ManagedEntity } from "../management/index.ts";
import {
  type EntityAttributes,
  entityKey,
  entityName,
  isOwnedEntity,
  planRouterChanges,
  type RouterConfig,
  type RouterEntity,
} from "../router-config/index.ts";
import {
  createRanking,
  type RouterEntityType,
  SINGLETON_TYPES,
} from "../router-vocabulary/index.ts";
import type { ActualState } from "./actual.ts";

export type SyncStep =
  | { kind: "create"; type: RouterEntityType; name: string; attributes: EntityAttributes }
  | {
      kind: "update";
      type: RouterEntityType;
      name: string;
      /** The changed attributes with their new values: what UPDATE sends. */
      attributes: EntityAttributes;
      changed: string[];
      previous: EntityAttributes;
    }
  | {
      kind: "replace";
      type: RouterEntityType;
      name: string;
      attributes: EntityAttributes;
      changed: string[];
      previous: EntityAttributes;
    }
  | { kind: "delete"; type: RouterEntityType; name: string; previous: EntityAttributes };

/** A difference config-sync does not make live. */
export interface RestartOnlyChange {
  type: RouterEntityType;
  name: string | undefined;
  change: "create" | "delete" | "update";
  changed: string[];
  previous: EntityAttributes;
  next: EntityAttributes;
  reason: string;
}

/** An entity of a synced type that amqp-mesh does not own: reported, never touched. */
export interface UntouchedEntity {
  type: RouterEntityType;
  name: string | undefined;
  identity: string | undefined;
  summary: string;
}

/** A change that cannot be made as planned (e.g. a hand-made entity holds the prefix). */
export interface BlockedChange {
  type: RouterEntityType;
  name: string;
  reason: string;
}

export interface SyncPlan {
  routerId: string;
  steps: SyncStep[];
  restartOnly: RestartOnlyChange[];
  untouched: UntouchedEntity[];
  blocked: BlockedChange[];
  /** Types the router could not show, so left out of the comparison (with the router's reason). */
  unread: string[];
}

/** Management operations the plan issues: a replacement is a DELETE and a CREATE. */
/**
 * Types whose entities config-sync creates, updates and deletes live; the others (router,
 * policy, log, authServicePlugin, listener) only a restart with the new config file changes.
 */
const LIVE_TYPES: ReadonlySet<RouterEntityType> = new Set([
  "sslProfile",
  "connector",
  "vhost",
  "address",
  "linkRoute",
  "autoLink",
]);
/** Steps in creation order among the live types; any other type (a live `log` UPDATE) after them. */
const rank = createRanking(LIVE_TYPES);

/**
 * Optional attributes amqp-mesh may set and later leave out, with the value the router
 * reports when unset (qdrouter.json / skrouter.json defaults, as seen in QUERY answers of
 * qdrouterd 1.19.0 and skupper-router 3.5.1): left out now but set on the router is a change.
 */
const UNSET_VALUES: Partial<Record<RouterEntityType, Record<string, unknown>>> = {
  linkRoute: {
    prefix: null,
    pattern: null,
    connection: null,
    containerId: null,
    addExternalPrefix: null,
    delExternalPrefix: null,
  },
  autoLink: { connection: null, containerId: null, externalAddress: null },
  connector: { sslProfile: null, saslUsername: null, saslPassword: null, policyVhost: null },
  listener: { sslProfile: null, requireSsl: false, policyVhost: null },
  sslProfile: { password: null, passwordFile: null, ciphers: null, protocols: null },
  vhost: { aliases: null, maxMessageSize: null },
};

/** Status and bookkeeping attributes: never config, never compared or shown. */
const RUNTIME_ATTRIBUTES = new Set([
  "identity",
  "type",
  "operStatus",
  "connectionStatus",
  "connectionMsg",
  "linkRef",
  "lastError",
  "failoverUrls",
  // Aliases the core reports next to the real names.
  "dir",
  "addr",
  "externalAddr",
]);

function isAbsent(value: unknown): boolean {
  return value === null || value === undefined;
}

function booleanOf(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  if (["true", "yes", "on"].includes(lower)) return true;
  if (["false", "no", "off"].includes(lower)) return false;
  return undefined;
}

/** The actual value in the desired value's type, where the router reports it otherwise. */
export function normalizeActual(actual: unknown, desired: unknown): unknown {
  if (isAbsent(actual)) return undefined;
  if (typeof desired === "number" && typeof actual === "string" && /^-?\d+$/.test(actual))
    return Number(actual);
  if (typeof desired === "string" && (typeof actual === "number" || typeof actual === "boolean"))
    return String(actual);
  if (typeof desired === "boolean" && typeof actual === "string")
    return booleanOf(actual) ?? actual;
  if (
    desired !== null &&
    typeof desired === "object" &&
    !Array.isArray(desired) &&
    actual !== null &&
    typeof actual === "object" &&
    !Array.isArray(actual)
  ) {
    const wanted = desired as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(actual as Record<string, unknown>)
        .map(([key, value]) => [key, normalizeActual(value, wanted[key])] as const)
        .filter(([, value]) => value !== undefined),
    );
  }
  return actual;
}

function sameValue(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}

/** What config-sync sees of an actual entity, in the terms of its desired counterpart. */
function projected(
  type: RouterEntityType,
  actual: Record<string, unknown>,
  desired: EntityAttributes | undefined,
): EntityAttributes {
  const out: EntityAttributes = {};
  if (desired === undefined) {
    // Nothing to compare with: the entity's own settings, for the report.
    for (const [key, value] of Object.entries(actual))
      if (!isAbsent(value) && !RUNTIME_ATTRIBUTES.has(key))
        out[key] = value as EntityAttributes[string];
    return out;
  }
  const singleton = SINGLETON_TYPES.has(type);
  for (const [key, wanted] of Object.entries(desired)) {
    // An attribute the router does not report (write-only, or not of this version) is not
    // compared; neither is one a singleton leaves unreported.
    if (!(key in actual) || (singleton && isAbsent(actual[key]))) {
      out[key] = wanted;
      continue;
    }
    const value = normalizeActual(actual[key], wanted);
    if (value !== undefined) out[key] = value as EntityAttributes[string];
  }
  for (const [key, unset] of Object.entries(UNSET_VALUES[type] ?? {})) {
    if (key in desired || isAbsent(actual[key]) || sameValue(actual[key], unset)) continue;
    out[key] = actual[key] as EntityAttributes[string];
  }
  return out;
}

/** The attributes that tell an entity of each type apart, for reports. */
const SUMMARY_KEYS: Partial<Record<RouterEntityType, readonly string[]>> = {
  address: ["prefix", "pattern", "distribution"],
  linkRoute: ["prefix", "pattern", "direction", "connection"],
  autoLink: ["address", "direction", "connection", "externalAddress"],
  listener: ["host", "port", "role"],
  connector: ["host", "port", "role"],
  vhost: ["hostname"],
  sslProfile: ["caCertFile", "certFile"],
};

/** A few of an entity's settings, for a line of text (`name` and runtime attributes left out). */
export function summaryOf(type: RouterEntityType, attributes: Record<string, unknown>): string {
  const keys = SUMMARY_KEYS[type];
  return Object.entries(attributes)
    .filter(([key, value]) => !RUNTIME_ATTRIBUTES.has(key) && key !== "name" && !isAbsent(value))
    .filter(
      ([key, value]) => typeof value !== "object" && (keys === undefined || keys.includes(key)),
    )
    .sort(([a], [b]) => (keys === undefined ? 0 : keys.indexOf(a) - keys.indexOf(b)))
    .slice(0, 6)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(", ");
}

/** The key an address is matched by on the router: two entities may not share it. */
function addressKey(attributes: Record<string, unknown>): string | undefined {
  if (typeof attributes.prefix === "string") return `prefix ${attributes.prefix}`;
  if (typeof attributes.pattern === "string") return `pattern ${attributes.pattern}`;
  return undefined;
}

function byOrderThenName(
  a: { type: RouterEntityType; name: string },
  b: { type: RouterEntityType; name: string },
): number {
  return rank(a.type) - rank(b.type) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * The plan that turns `actual` into `desired`. Pure: the same input gives the same plan.
 * `desired` is the generated config of the same router (as the router runs it: local file
 * paths already in place, if any).
 */
export function planSync(wanted: RouterConfig, actual: ActualState): SyncPlan {
  // What the router cannot show is not compared (and so never planned).
  const unreadTypes = new Set(actual.unread.map((u) => u.type));
  const desired: RouterConfig = {
    ...wanted,
    entities: wanted.entities.filter((e) => !unreadTypes.has(e.type)),
  };
  const desiredByKey = new Map<string, RouterEntity>();
  for (const entity of desired.entities)
    desiredByKey.set(entityKey(entity.type, entityName(entity)), entity);

  const actualEntities: RouterEntity[] = [];
  const untouched: UntouchedEntity[] = [];
  const heldAddressKeys = new Map<string, ManagedEntity>();
  for (const [type, rows] of actual.entities) {
    for (const row of rows) {
      const name = row.name;
      const counterpart = desiredByKey.get(entityKey(type, name));
      const entity: RouterEntity = {
        type,
        attributes: projected(type, row.attributes, counterpart?.attributes),
      };
      if (!SINGLETON_TYPES.has(type) && !isOwnedEntity(entity)) {
        untouched.push({
          type,
          name,
          identity: row.identity,
          summary: summaryOf(type, row.attributes),
        });
        if (type === "address") {
          const key = addressKey(row.attributes);
          if (key !== undefined) heldAddressKeys.set(key, row);
        }
        continue;
      }
      actualEntities.push(entity);
    }
  }

  return classified(
    desired,
    { ...desired, entities: actualEntities },
    untouched,
    heldAddressKeys,
    actual.unread.map((u) => `${u.type}: ${u.reason}`),
  );
}

/**
 * The plan from the config whose live entities (the types config-sync writes) the router was
 * last brought to — its last sync ended with nothing failed or blocked — instead of a QUERY:
 * what a QUERY would show if nobody changed the router by hand since. The two configs are
 * compared as they are (no projection: both are the generator's). Nothing is known of
 * hand-made entities, so none is listed as untouched and a CREATE that finds its prefix
 * taken fails instead of being planned as blocked (config-sync then reads the router in
 * full). Restart-only changes are those between the two configs: one still waiting for a
 * restart since an earlier run is not listed again (a full run lists it).
 */
export function planFromLastApplied(wanted: RouterConfig, lastApplied: RouterConfig): SyncPlan {
  const owned = lastApplied.entities.filter((e) => SINGLETON_TYPES.has(e.type) || isOwnedEntity(e));
  return classified(wanted, { ...wanted, entities: owned }, [], new Map(), []);
}

function classified(
  desired: RouterConfig,
  actualConfig: RouterConfig,
  untouched: UntouchedEntity[],
  heldAddressKeys: ReadonlyMap<string, ManagedEntity>,
  unread: string[],
): SyncPlan {
  const [change] = planRouterChanges([actualConfig], [desired]);
  const steps: SyncStep[] = [];
  const restartOnly: RestartOnlyChange[] = [];
  const blocked: BlockedChange[] = [];
  if (change === undefined)
    return { routerId: desired.routerId, steps, restartOnly, untouched, blocked, unread };

  const deleted = new Map(change.delete.map((e) => [entityKey(e.type, entityName(e)), e]));
  const created = new Map(change.create.map((e) => [entityKey(e.type, entityName(e)), e]));
  const creates: SyncStep[] = [];
  const replaces: SyncStep[] = [];
  const deletes: SyncStep[] = [];
  for (const [key, next] of created) {
    const name = entityName(next) ?? "";
    const previous = deleted.get(key);
    if (!LIVE_TYPES.has(next.type)) {
      restartOnly.push({
        type: next.type,
        name,
        change: previous === undefined ? "create" : "update",
        changed: previous === undefined ? [] : changedKeys(previous.attributes, next.attributes),
        previous: previous?.attributes ?? {},
        next: next.attributes,
        reason: `config-sync leaves ${next.type}s to the router's config file: restart the router with the new file`,
      });
      continue;
    }
    if (previous !== undefined) {
      replaces.push({
        kind: "replace",
        type: next.type,
        name,
        attributes: next.attributes,
        changed: changedKeys(previous.attributes, next.attributes),
        previous: previous.attributes,
      });
      continue;
    }
    const held =
      next.type === "address" ? heldAddressKeys.get(addressKey(next.attributes) ?? "") : undefined;
    if (held !== undefined) {
      blocked.push({
        type: next.type,
        name,
        reason: `the router already has an address for ${addressKey(next.attributes)} that amqp-mesh does not own ('${held.name ?? held.identity}'): remove it, then sync again`,
      });
      continue;
    }
    creates.push({ kind: "create", type: next.type, name, attributes: next.attributes });
  }
  for (const [key, previous] of deleted) {
    if (created.has(key)) continue;
    const name = entityName(previous) ?? "";
    if (!LIVE_TYPES.has(previous.type)) {
      restartOnly.push({
        type: previous.type,
        name,
        change: "delete",
        changed: [],
        previous: previous.attributes,
        next: {},
        reason: `config-sync leaves ${previous.type}s to the router's config file: restart the router with the new file`,
      });
      continue;
    }
    deletes.push({ kind: "delete", type: previous.type, name, previous: previous.attributes });
  }
  const updates: SyncStep[] = [];
  for (const update of change.update) {
    if (!update.live) {
      restartOnly.push({
        type: update.type,
        name: update.name,
        change: "update",
        changed: update.changed,
        previous: update.previous,
        next: update.next,
        reason: `${update.type} has no UPDATE: only a restart with the new config file applies it`,
      });
      continue;
    }
    updates.push({
      kind: "update",
      type: update.type,
      name: update.name ?? "",
      attributes: Object.fromEntries(update.changed.map((a) => [a, update.next[a]!])),
      changed: update.changed,
      previous: Object.fromEntries(
        update.changed.filter((a) => a in update.previous).map((a) => [a, update.previous[a]!]),
      ),
    });
  }
  steps.push(
    ...creates.sort(byOrderThenName),
    ...updates.sort(byOrderThenName),
    ...replaces.sort(byOrderThenName),
    ...deletes.sort(byOrderThenName).reverse(),
  );
  return { routerId: desired.routerId, steps, restartOnly, untouched, blocked, unread };
}

function changedKeys(before: EntityAttributes, after: EntityAttributes): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((key) => !sameValue(before[key], after[key]))
    .sort();
}
