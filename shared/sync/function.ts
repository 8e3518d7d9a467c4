/**
 * The config-sync function's core, the same on AWS and Azure: settings from the environment,
 * and one call per trigger — a registry object written (S3 "Object Created" via EventBridge,
 * Blob "BlobCreated" via Event Grid) or the drift schedule — that runs the sync over the
 * store and returns a summary. The fronts only turn their event into a SyncTrigger.
 */
import * as z from "zod/mini";
import type { ManagementPool, ManagementTarget } from "../management/index.ts";
import { snapshotRegistry } from "../registry-snapshot/index.ts";
import type { RouterConfig } from "../router-config/index.ts";
import { type Env, listSetting, meshLoginFromEnv, positiveMsSetting } from "../settings/env.ts";
import { SettingsError } from "../settings/errors.ts";
import type { SyncLogger, SyncReport } from "./report.ts";
import { runSync } from "./run.ts";
import { isProjectPath } from "./snapshot.ts";
import { type ObjectStore, ObjectStoreSource, shortDigest } from "./source.ts";
import { ObjectStateStore } from "./state.ts";

/** What woke the function. */
export type SyncTrigger =
  | {
      kind: "object-written";
      /** The object's key in the bucket or container. */
      key: string;
      /** The store's version of it, as the event reports it (logged; the store is read as it is). */
      etag?: string | undefined;
      sequencer?: string | undefined;
      versionId?: string | undefined;
      eventId?: string | undefined;
    }
  | { kind: "schedule"; eventId?: string | undefined };

export interface SyncFunctionSettings {
  routers: ManagementTarget[];
  /** Project key prefix in the store ("" or e.g. `mesh/`). */
  prefix: string;
  /** Where the state document lives, outside the project's keys. */
  stateKey: string;
  /**
   * Where the registry snapshot that passed the gate is published for the ingress and the
   * triggers (outside the project's keys: writing it wakes no sync).
   */
  snapshotKey: string;
  managementPrincipals: string[];
  fullSyncIntervalMs: number;
  timeoutMs: number;
}

/** A setting is missing or malformed: names the variable and what it must hold, never its value. */
export class SyncConfigError extends SettingsError {
  override name = "SyncConfigError";
  constructor(problems: readonly string[]) {
    super(problems, { scope: "config-sync" });
  }
}

const url = z.string().check(z.regex(/^amqps?:\/\/[^/]+/));

/**
 * SYNC_ROUTER_URLS (comma-separated amqp[s]:// management URLs of the region's routers),
 * MESH_SASL_USERNAME / MESH_SASL_PASSWORD (the management principal, PLAIN; or
 * MESH_SASL_MECHANISM=EXTERNAL with MESH_TLS_CERT/KEY), MESH_TLS_CA, MESH_TLS_SERVERNAME,
 * MESH_TLS_REJECT_UNAUTHORIZED; SYNC_REGISTRY_PREFIX, SYNC_STATE_KEY (default
 * `<prefix>.amqp-mesh/sync-state.json`), REGISTRY_SNAPSHOT_KEY (where the gated registry
 * snapshot is published, default `<prefix>published/registry-snapshot.json`; the ingress and
 * the triggers read the same variable), SYNC_MANAGEMENT_PRINCIPALS, SYNC_FULL_INTERVAL_MS
 * (default 15 min), SYNC_TIMEOUT_MS (per management request, default 10 s).
 */
export function syncSettingsFromEnv(env: Env): SyncFunctionSettings {
  const problems: string[] = [];
  const urls = listSetting(env.SYNC_ROUTER_URLS);
  if (urls.length === 0)
    problems.push(
      "SYNC_ROUTER_URLS must list the routers to sync (amqps://host:port, comma-separated)",
    );
  for (const [i, u] of urls.entries())
    if (!url.safeParse(u).success)
      problems.push(`SYNC_ROUTER_URLS item ${i + 1} is not an amqp:// or amqps:// URL`);
  const { sasl, tls } = meshLoginFromEnv(env, problems);
  if (sasl.mechanism === "PLAIN" && (sasl.username === undefined || sasl.password === undefined))
    problems.push("PLAIN needs MESH_SASL_USERNAME and MESH_SASL_PASSWORD");
  const prefix = env.SYNC_REGISTRY_PREFIX ?? "";
  const snapshotKey = env.REGISTRY_SNAPSHOT_KEY || `${prefix}${PUBLISHED_SNAPSHOT_PATH}`;
  if (snapshotKey.startsWith(prefix) && isProjectPath(snapshotKey.slice(prefix.length)))
    problems.push(
      "REGISTRY_SNAPSHOT_KEY must be outside the registry project (not topology.yaml or registry/…): its write would start config-sync again",
    );
  const settings: SyncFunctionSettings = {
    routers: urls.map((u) => ({ url: u, sasl, ...(u.startsWith("amqps:") ? { tls } : {}) })),
    prefix,
    stateKey: env.SYNC_STATE_KEY ?? `${prefix}.amqp-mesh/sync-state.json`,
    snapshotKey,
    managementPrincipals: listSetting(env.SYNC_MANAGEMENT_PRINCIPALS),
    fullSyncIntervalMs: positiveMsSetting(env, "SYNC_FULL_INTERVAL_MS", 15 * 60_000, problems),
    timeoutMs: positiveMsSetting(env, "SYNC_TIMEOUT_MS", 10_000, problems),
  };
  if (problems.length > 0) throw new SyncConfigError(problems);
  return settings;
}

/** Where config-sync publishes the gated registry snapshot, under the project prefix. */
export const PUBLISHED_SNAPSHOT_PATH = "published/registry-snapshot.json";

/** What the function returns (and logs): the run in a few numbers, no plans. */
export interface SyncSummary {
  trigger: SyncTrigger["kind"];
  ignored: boolean;
  reason?: string;
  outcome?: SyncReport["outcome"];
  registry?: {
    digest: string | undefined;
    accepted: boolean;
    reason: string | undefined;
    problems: string[];
    usedLastGood: boolean;
  };
  rounds?: number;
  /** The registry snapshot published for the ingress and the triggers (after the gate only). */
  published?: { key: string; digest: string } | { key: string; error: string };
  totals?: SyncReport["totals"];
  routers?: Array<{ url: string; routerId: string | undefined; status: string; error?: string }>;
}

export interface SyncFunctionDeps {
  store: ObjectStore;
  settings: SyncFunctionSettings;
  /** Management sessions kept open across warm invocations. */
  pool: ManagementPool;
  logger: SyncLogger;
  /** Routers run somewhere else than the config says (local tests: certificate paths). */
  prepareConfig?: (config: RouterConfig) => RouterConfig;
}

export function summaryOf(trigger: SyncTrigger, report: SyncReport): SyncSummary {
  return {
    trigger: trigger.kind,
    ignored: false,
    outcome: report.outcome,
    registry: {
      digest:
        report.registry.digest === undefined ? undefined : shortDigest(report.registry.digest),
      accepted: report.registry.accepted,
      reason: report.registry.reason,
      problems: report.registry.problems,
      usedLastGood: report.registry.usedLastGood,
    },
    rounds: report.rounds,
    totals: report.totals,
    routers: report.routers.map((r) => ({
      url: r.url,
      routerId: r.routerId,
      status: r.status,
      ...(r.error === undefined ? {} : { error: r.error }),
    })),
  };
}

/** One invocation: an object written outside the project is ignored; anything else syncs. */
export async function handleSyncTrigger(
  trigger: SyncTrigger,
  deps: SyncFunctionDeps,
): Promise<SyncSummary> {
  const { store, settings, pool, logger } = deps;
  const source = new ObjectStoreSource(store, { prefix: settings.prefix });
  if (trigger.kind === "object-written" && !source.isProjectKey(trigger.key)) {
    const reason = `'${trigger.key}' is not a file of the registry project (${settings.prefix}topology.yaml, ${settings.prefix}registry/…)`;
    logger.info("event ignored", { key: trigger.key, reason });
    return { trigger: trigger.kind, ignored: true, reason };
  }
  logger.info("sync triggered", {
    trigger: trigger.kind,
    ...(trigger.kind === "object-written"
      ? {
          key: trigger.key,
          etag: trigger.etag,
          sequencer: trigger.sequencer,
          versionId: trigger.versionId,
        }
      : {}),
    eventId: trigger.eventId,
  });
  let published: SyncSummary["published"];
  const report = await runSync({
    source,
    routers: settings.routers,
    state: new ObjectStateStore(store, settings.stateKey),
    mode: trigger.kind === "schedule" ? "schedule" : "event",
    managementPrincipals: settings.managementPrincipals,
    fullSyncIntervalMs: settings.fullSyncIntervalMs,
    pool,
    logger,
    ...(deps.prepareConfig === undefined ? {} : { prepareConfig: deps.prepareConfig }),
    onAccepted: async (project) => {
      published = await publishSnapshot(store, settings.snapshotKey, project.registry, logger);
    },
  });
  const summary = summaryOf(trigger, report);
  return published === undefined ? summary : { ...summary, published };
}

/**
 * Writes the snapshot of a registry that passed the gate, in one PUT of one object (a reader
 * gets the old object or the new one, never part of it). A failure is logged and reported:
 * the routers are synced already, and the next run publishes again.
 */
async function publishSnapshot(
  store: ObjectStore,
  key: string,
  registry: Parameters<typeof snapshotRegistry>[0],
  logger: SyncLogger,
): Promise<NonNullable<SyncSummary["published"]>> {
  const snapshot = snapshotRegistry(registry);
  try {
    await store.put(key, `${JSON.stringify(snapshot)}\n`);
    logger.info("registry snapshot published", { key, digest: shortDigest(snapshot.digest) });
    return { key, digest: shortDigest(snapshot.digest) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logger.error("registry snapshot not published", { key, error: message });
    return { key, error: message };
  }
}
