/**
 * The clouds' twin around a running local mesh: the registry stores (S3rver, Azurite), each
 * cloud's config-sync function bringing its own routers to the registry from the store's
 * change event, both clouds' HTTP ingress and the project's channel triggers — every part
 * through the handler the cloud runs. `publish` is the one way a registry reaches them: the
 * project folder is validated (an invalid one is printed with file and line and goes
 * nowhere), uploaded to both stores, each written object's event runs config-sync, and only a
 * registry that passed config-sync's gate is published (by config-sync, in each store), and
 * the ingress and the triggers read it from there as deployed (`function-registries.ts`).
 * `publish` resolves once every function enforces what its cloud's config-sync published.
 */
import { type FSWatcher, watch } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { basename, dirname, join } from "node:path";
import { newApiKey } from "../../shared/ingress/index.ts";
import { type RegistrySnapshot, snapshotRegistry } from "../../shared/registry-snapshot/index.ts";
import { consumerAddresses } from "../../shared/router-config/index.ts";
import type { RouterFlavour, Topology } from "../../shared/topology/index.ts";
import { loadValidProject, type ValidProject } from "../load-project.ts";
import { type CloudIngress, startCloudIngress } from "./cloud-ingress.ts";
import { type CloudSync, openFunctionLog, type SyncRun, startCloudSync } from "./cloud-sync.ts";
import {
  type Invocation,
  type LocalTrigger,
  placeTrigger,
  projectFunctions,
  startTrigger,
} from "./cloud-triggers.ts";
import { engineFlavour } from "./engine.ts";
import {
  type FunctionRegistries,
  functionRegistries,
  type RegistryChange,
  registryChange,
} from "./function-registries.ts";
import type { LocalPlatform } from "./platform.ts";
import { SYNC_PRINCIPAL } from "./platform.ts";
import {
  type Cloud,
  projectFiles,
  type RegistryStores,
  startRegistryStores,
} from "./registry-stores.ts";

export interface RegistryUpdate {
  /** Undefined: the folder did not validate; nothing was uploaded. */
  uploaded?: { written: string[]; removed: string[] };
  runs: SyncRun[];
  /** Set when both clouds' config-sync accepted and published it and every function enforces it. */
  change?: RegistryChange;
  /** The project whose registry was accepted (with `change`). */
  accepted?: ValidProject;
  /** Why the functions kept their registry (or did not all reach the new one). */
  refused?: string;
  /** From the start of the update: uploaded to both stores; both clouds' config-sync done. */
  uploadedMs?: number;
  syncedMs?: number;
  ms: number;
}

export interface TriggerNotice {
  name: string;
  channel: string;
  reason: string;
}

export interface CloudTwin {
  stores: RegistryStores;
  syncs: CloudSync[];
  ingresses: CloudIngress[];
  triggers: LocalTrigger[];
  /** Functions found but not started, and why. */
  notStarted: TriggerNotice[];
  /** Each function's reader of its cloud's registry store. */
  registries: FunctionRegistries;
  keysFile: string;
  logDir: string;
  /** The folder uploaded and watched. */
  registryDir: string;
  /** The first update (the initial upload and sync). */
  initial: RegistryUpdate;
  /** Validate, upload and sync the registry folder as it is now. */
  publish(): Promise<RegistryUpdate>;
  /** Re-publishes on every change under `registry/` (debounced); reports each update. */
  watch(onUpdate: (update: RegistryUpdate) => void): void;
  /** The drift schedule of both clouds now (after a router restart). */
  driftTick(): Promise<SyncRun[]>;
  stop(): Promise<void>;
}

export interface CloudTwinOptions {
  platform: LocalPlatform;
  /** The folder whose topology.yaml and registry/ are uploaded (and watched). */
  registryDir: string;
  /** Where the channel functions are (`<projectDir>/functions/`). */
  projectDir: string;
  onInvocation?: (invocation: Invocation) => void;
  /** One step of the start-up done, with its time. */
  step?: (name: string, ms: number) => void;
}

const DEBOUNCE_MS = 150;
/** How long the functions may take to read a registry config-sync published. */
const ENFORCE_TIMEOUT_MS = 10_000;

/** The flavour the routers run: the engine's for real routers, else the topology's. */
function routersFlavour(platform: LocalPlatform): RouterFlavour {
  const engine = platform.routers.engine;
  return engine === "emulator" ? platform.project.topology.flavour : engineFlavour(engine);
}

/** The cloud of each environment, and the environments' routers by cloud. */
function cloudRouters(topology: Topology, mode?: "edge"): Map<Cloud, string[]> {
  const out = new Map<Cloud, string[]>();
  for (const environment of topology.environments) {
    const cloud = environment.cloud as Cloud;
    const ids = topology.routers
      .filter((r) => r.environment === environment.name && (mode === undefined || r.mode === mode))
      .map((r) => r.id);
    out.set(cloud, [...(out.get(cloud) ?? []), ...ids]);
  }
  return out;
}

/** The ingress's own login: a principal called `ingress` or `…-ingress`, else the first. */
export function ingressPrincipal(project: ValidProject): string {
  const all = project.registry.teams.flatMap((t) => t.principals);
  return all.find((p) => p === "ingress" || p.endsWith("-ingress")) ?? (all[0] as string);
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 1_000);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

export async function startCloudTwin(options: CloudTwinOptions): Promise<CloudTwin> {
  const { platform } = options;
  const { topology } = platform.project;
  const step = options.step ?? (() => {});
  const outDir = dirname(platform.usersFile);
  const logDir = join(outDir, "functions");
  await mkdir(logDir, { recursive: true });
  const timed = async <T>(name: string, call: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await call();
    step(name, performance.now() - started);
    return result;
  };
  const url = (id: string) => ({ id, url: platform.routers.url(id) });
  const password = (principal: string) => platform.users.get(principal) ?? "";
  const stopping: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stopping.reverse()) await stop().catch(() => undefined);
  };

  try {
    const stores = await timed(
      "registry stores: S3rver (AWS bucket), Azurite (Azure container)",
      () => startRegistryStores(),
    );
    stopping.push(() => stores.stop());

    const routersByCloud = cloudRouters(topology);
    const syncs: CloudSync[] = [];
    for (const [cloud, ids] of routersByCloud) {
      if (ids.length === 0) continue;
      const sync = startCloudSync({
        cloud,
        routers: ids.map(url),
        login: { username: SYNC_PRINCIPAL, password: password(SYNC_PRINCIPAL) },
        stores,
        prepareConfig: platform.prepareConfig,
        log: openFunctionLog(join(logDir, `${cloud}-config-sync.log`)),
      });
      syncs.push(sync);
      stopping.push(() => sync.close());
    }

    // What a deploy would have bundled: the registry up started with.
    const registries = functionRegistries({
      stores,
      snapshot: snapshotRegistry(platform.project.registry),
    });
    stopping.push(async () => registries.close());
    let current = platform.project;
    /** The snapshot every function enforced after the last update. */
    let enforced: RegistrySnapshot = registries.bundled.snapshot;
    const publish = async (): Promise<RegistryUpdate> => {
      const started = performance.now();
      const project = await loadValidProject(options.registryDir);
      if (project === undefined)
        return {
          runs: [],
          refused: "the registry does not validate (errors above): nothing uploaded",
          ms: performance.now() - started,
        };
      const upload = await stores.upload(await projectFiles(options.registryDir));
      const uploadedMs = performance.now() - started;
      const runs: SyncRun[] = [];
      await Promise.all(
        syncs.map(async (sync) => {
          for (const object of upload.written)
            runs.push(
              await sync.deliver(sync.cloud === "aws" ? object.awsEvent : object.azureEvent),
            );
          // A removed object has no Created event: the drift schedule finds it.
          if (upload.written.length === 0 && upload.removed.length > 0)
            runs.push(await sync.tick());
        }),
      );
      const syncedMs = performance.now() - started;
      const uploaded = { written: upload.written.map((w) => w.key), removed: upload.removed };
      const last = syncs.map((s) => runs.filter((r) => r.cloud === s.cloud).at(-1));
      const notOk = last.find((r) => r !== undefined && r.summary.outcome !== "ok");
      if (notOk !== undefined) {
        const problems = notOk.summary.registry?.problems ?? [];
        return {
          uploaded,
          runs,
          refused: `${notOk.cloud} config-sync: ${notOk.summary.outcome}${notOk.summary.registry?.reason ? ` (${notOk.summary.registry.reason})` : ""}${problems.length > 0 ? `:\n  ${problems.join("\n  ")}` : ""}`,
          ms: performance.now() - started,
        };
      }
      current = project;
      // Each cloud's functions read what their cloud's config-sync published, by themselves.
      const published = new Map<Cloud, string>();
      for (const [i, sync] of syncs.entries()) {
        const done = last[i]?.summary.published;
        if (done === undefined) continue;
        if ("error" in done)
          return {
            uploaded,
            runs,
            refused: `${sync.cloud} config-sync could not publish the registry for the functions (${done.error}); they keep theirs until its next run`,
            ms: performance.now() - started,
          };
        published.set(sync.cloud, done.digest);
      }
      try {
        await registries.enforced(published, ENFORCE_TIMEOUT_MS);
      } catch (error) {
        return {
          uploaded,
          runs,
          refused: `the routers have it, but the functions: ${(error as Error).message}`,
          ms: performance.now() - started,
        };
      }
      const now = registries.all[0]?.live.current().snapshot ?? snapshotRegistry(project.registry);
      const change = registryChange(enforced, now);
      enforced = now;
      return {
        uploaded,
        runs,
        change,
        accepted: project,
        uploadedMs,
        syncedMs,
        ms: performance.now() - started,
      };
    };

    const initial = await timed(
      "registry uploaded to both stores; config-sync brought every router to it",
      publish,
    );
    if (initial.change === undefined)
      throw new Error(`the first config-sync did not go through: ${initial.refused}`);

    // API keys per principal, made up per run (never committed), as INGRESS_API_KEYS holds them.
    const keys: Record<string, string> = {};
    const apiKeys = platform.project.registry.teams
      .flatMap((t) => t.principals)
      .map((principal) => {
        const { key, entry } = newApiKey(principal);
        keys[principal] = key;
        return entry;
      });
    const keysFile = join(outDir, "local-ingress-keys.json");
    await writeFile(keysFile, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });
    const login = ingressPrincipal(platform.project);
    const edges = cloudRouters(topology, "edge");
    const ingresses = await timed(
      "HTTP ingress of both clouds (API Gateway v2 → Lambda; Functions HTTP)",
      () =>
        Promise.all(
          [...edges].map(async ([cloud, ids]) => {
            const ingress = await startCloudIngress({
              cloud,
              routers: ids.map(url),
              login: { username: login, password: password(login) },
              apiKeys,
              registries,
              log: openFunctionLog(join(logDir, `${cloud}-ingress.log`)),
            });
            stopping.push(() => ingress.close());
            return ingress;
          }),
        ),
    );

    const notStarted: TriggerNotice[] = [];
    const triggers: LocalTrigger[] = [];
    await timed("channel triggers (bridge mode) on their cloud's edge routers", async () => {
      const { found, failed } = await projectFunctions(options.projectDir);
      for (const { file, reason } of failed)
        notStarted.push({ name: basename(file, ".ts"), channel: "?", reason });
      for (const fn of found) {
        const { definition } = fn;
        const placement = placeTrigger(fn, current.registry, topology);
        if (typeof placement === "string") {
          notStarted.push({
            name: definition.name,
            channel: definition.channel,
            reason: placement,
          });
          continue;
        }
        const channel = current.registry.channels.find((c) => c.address === definition.channel);
        const broker =
          channel?.routing.kind === "broker"
            ? topology.brokers.find(
                (b) => b.name === (channel.routing as { broker: string }).broker,
              )
            : undefined;
        if (broker !== undefined) {
          const secret = broker.sasl?.password.secretRef;
          const variable = secret?.startsWith("env:") ? secret.slice(4) : undefined;
          const up = await reachable(broker.host, broker.port);
          if (!up || (variable !== undefined && process.env[variable] === undefined)) {
            notStarted.push({
              name: definition.name,
              channel: definition.channel,
              reason: !up
                ? `its channel goes through ${broker.flavour} '${broker.name}' at ${broker.host}:${broker.port}, which does not answer`
                : `its channel goes through ${broker.flavour} '${broker.name}', whose password the routers read from ${variable}, which is not set (e.g. ${variable}=guest for a local RabbitMQ)`,
            });
            continue;
          }
        }
        const environmentEdges = topology.routers
          .filter((r) => r.environment === placement.environment && r.mode === "edge")
          .map((r) => r.id);
        const trigger = await startTrigger({
          fn,
          placement,
          routers: environmentEdges.map(url),
          password: password(placement.principal),
          registries,
          deadLetter: channel?.deadLetter,
          rabbit: broker?.flavour === "rabbitmq",
          consumerAddresses: consumerAddresses(platform.project.registry, routersFlavour(platform)),
          log: openFunctionLog(join(logDir, `${definition.name}.log`)),
          ...(options.onInvocation ? { onInvocation: options.onInvocation } : {}),
        });
        stopping.push(() => trigger.stop());
        triggers.push(trigger);
      }
    });

    let watcher: FSWatcher | undefined;
    stopping.unshift(async () => watcher?.close());
    // One update at a time; an edit during one makes one more after it.
    let running: Promise<void> | undefined;
    let again = false;
    return {
      stores,
      syncs,
      ingresses,
      triggers,
      notStarted,
      registries,
      keysFile,
      logDir,
      registryDir: options.registryDir,
      initial,
      publish,
      watch(onUpdate) {
        let timer: NodeJS.Timeout | undefined;
        const run = () => {
          if (running !== undefined) {
            again = true;
            return;
          }
          running = publish()
            .then(onUpdate, (error: unknown) =>
              onUpdate({ runs: [], refused: `update failed: ${String(error)}`, ms: 0 }),
            )
            .finally(() => {
              running = undefined;
              if (again) {
                again = false;
                run();
              }
            });
        };
        watcher = watch(join(options.registryDir, "registry"), { recursive: true }, () => {
          clearTimeout(timer);
          timer = setTimeout(run, DEBOUNCE_MS);
        });
      },
      driftTick: () => Promise.all(syncs.map((s) => s.tick())),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
