/**
 * The local platform of a project: validate, generate the router configs into a folder,
 * read them back as a real router would, and start the mesh on the topology's ports, on
 * loopback only: in the embedded emulator, or as real qdrouterd / skrouterd processes.
 * PLAIN passwords for the registry's principals are made up per run (never committed) and
 * written next to the configs; real routers also get a throwaway CA with a certificate per
 * router (mutual TLS between routers) and a Cyrus SASL database with those users. One more
 * local user, SYNC_PRINCIPAL, may use the routers' $management, so that `amqp-mesh sync`
 * can bring the running mesh to a changed registry.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { PROBE_PRINCIPAL } from "../../shared/registry/index.ts";
import { type RouterConfig, readRouterConfigs } from "../../shared/router-config/index.ts";
import { loadValidProject, type ValidProject } from "../load-project.ts";
import { generateInto } from "../router-configs.ts";
import { certificateFiles, makeLocalCertificates } from "./certificates.ts";
import { inContainer } from "./container-router.ts";
import { startEmulatedRouters } from "./emulated-routers.ts";
import {
  type Engine,
  engineFlavour,
  isContainerEngine,
  type LocalRouters,
  ROUTER_PRODUCTS,
} from "./engine.ts";
import { LocalPlatformError } from "./errors.ts";
import { onLoopback, withLocalFiles } from "./local-configs.ts";
import { type OutLock, takeOutLock } from "./out-lock.ts";
import { startRealRouters } from "./real-routers.ts";
import { requirePodman } from "./router-containers.ts";
import type { RouterExit } from "./router-processes.ts";
import { makeSaslDatabase, saslFiles } from "./sasl-database.ts";
import { findOnPath } from "./tools.ts";

/** The local config-sync login: the one principal the vhost policies let manage routers. */
export const SYNC_PRINCIPAL = "amqp-mesh-sync";

export interface LocalPlatform {
  project: ValidProject;
  routers: LocalRouters;
  configDir: string;
  /** PLAIN credentials of every principal (and SYNC_PRINCIPAL), for local clients only. */
  users: Map<string, string>;
  usersFile: string;
  /** SYNC_PRINCIPAL's password alone, for `amqp-mesh sync --password-file`. */
  syncPasswordFile: string;
  /** The out folder's lock, held until stop(). */
  lockFile: string;
  /**
   * A generated config as the routers here run it (loopback listeners; real routers: this
   * run's certificates and SASL database): what config-sync compares the routers with.
   */
  prepareConfig: (config: RouterConfig) => RouterConfig;
  /** Stops every router and gives the out folder's lock back. */
  stop(): Promise<void>;
}

/** Where generated files go: `--out` when given, else out/<project folder name>. */
export function outDirFor(projectDir: string, outArg: string | boolean | undefined): string {
  return typeof outArg === "string" ? resolve(outArg) : resolve("out", basename(projectDir));
}

/**
 * Undefined when the project is invalid (its diagnostics were printed to stderr); throws
 * LocalPlatformError when the routers cannot be started (a tool or binary missing...), or
 * when another run holds the out folder (nothing is written then).
 */
export async function startLocalPlatform(
  dir: string,
  outDir: string,
  options: {
    engine?: Engine;
    log?: (line: string) => void;
    /** Real routers: one exited on its own, or was started again (see router-processes.ts). */
    onRouterExit?: (event: RouterExit) => void;
    /**
     * "startup": the routers start without channels, which config-sync brings (`up`, as in
     * the clouds); default "full": the channels are in the files (`emulator`).
     */
    entities?: "full" | "startup";
  } = {},
): Promise<LocalPlatform | undefined> {
  const engine = options.engine ?? "emulator";
  const log = options.log ?? console.log;
  // A container engine needs its image (built from the router on PATH when missing), not PATH.
  if (
    engine !== "emulator" &&
    !isContainerEngine(engine) &&
    (await findOnPath(engine)) === undefined
  ) {
    throw new LocalPlatformError(
      `--engine ${engine}: '${engine}' is not on PATH; install ${ROUTER_PRODUCTS[engine]}, or run on the embedded emulator (--engine emulator, the default)`,
    );
  }
  if (engine !== "emulator" && isContainerEngine(engine)) await requirePodman(engine);
  const project = await loadValidProject(dir);
  if (project === undefined) return undefined;
  const owner = project.registry.teams.find((t) => t.principals.includes(SYNC_PRINCIPAL));
  if (owner !== undefined)
    throw new LocalPlatformError(
      `team '${owner.team}' (${owner.file}) names the principal '${SYNC_PRINCIPAL}', which the local platform keeps for config-sync: rename it`,
    );
  const lock = await takeOutLock(outDir, { engine, project: dir }, log);
  try {
    return await startLocked(project, outDir, engine, lock, log, {
      onRouterExit: options.onRouterExit,
      entities: options.entities ?? "full",
    });
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function startLocked(
  project: ValidProject,
  outDir: string,
  engine: Engine,
  lock: OutLock,
  log: (line: string) => void,
  options: {
    onRouterExit: ((event: RouterExit) => void) | undefined;
    entities: "full" | "startup";
  },
): Promise<LocalPlatform | undefined> {
  const { onRouterExit, entities } = options;
  const configDir = join(outDir, "routers");
  const flavour = engine === "emulator" ? undefined : engineFlavour(engine);
  const summary = await generateInto(project, configDir, {
    format: "json",
    flavour,
    managementPrincipals: [SYNC_PRINCIPAL],
    entities,
  });
  if (summary === undefined) {
    await lock.release();
    return undefined;
  }
  log(
    `generated ${summary.routers.length} router ${entities === "startup" ? "start-up configs (channels from config-sync)" : "configs"} in ${configDir}`,
  );

  const users = new Map<string, string>();
  for (const team of project.registry.teams)
    for (const principal of team.principals) users.set(principal, randomBytes(12).toString("hex"));
  const syncPassword = randomBytes(12).toString("hex");
  users.set(SYNC_PRINCIPAL, syncPassword);
  // The generated policies let `amqp-mesh verify`'s principal use the probe channel.
  users.set(PROBE_PRINCIPAL, randomBytes(12).toString("hex"));
  const usersFile = join(outDir, "local-users.json");
  await writeFile(usersFile, `${JSON.stringify({ users: Object.fromEntries(users) }, null, 2)}\n`, {
    mode: 0o600,
  });
  const syncPasswordFile = join(outDir, "sync-password");
  await writeFile(syncPasswordFile, `${syncPassword}\n`, { mode: 0o600 });

  for (const warning of missingBrokerSecrets(project)) log(warning);
  const configs = await readRouterConfigs(configDir);
  const platform = (
    routers: LocalRouters,
    prepareConfig: (config: RouterConfig) => RouterConfig,
  ): LocalPlatform => ({
    project,
    routers,
    configDir,
    users,
    usersFile,
    syncPasswordFile,
    lockFile: lock.file,
    prepareConfig,
    stop: async () => {
      try {
        await routers.stop();
      } finally {
        await lock.release();
      }
    },
  });
  if (engine === "emulator")
    return platform(await startEmulatedRouters(project.topology, configs, users), onLoopback);
  const certificates = await makeLocalCertificates(
    localFilesIn(outDir).tls,
    project.topology.routers,
  );
  const sasl = await makeSaslDatabase(localFilesIn(outDir).sasl, users);
  log(`local CA and router certificates in ${certificates.dir}; SASL users in ${sasl.database}`);
  const files = { certificates, sasl };
  const local = configs.map((config) => withLocalFiles(config, files));
  return platform(
    await startRealRouters(engine, local, join(outDir, engine), { log, onExit: onRouterExit }),
    localPrepareConfig(engine, outDir, project.topology),
  );
}

/** Where a local platform keeps its routers' TLS files and SASL database in its out folder. */
function localFilesIn(outDir: string): { tls: string; sasl: string } {
  return { tls: join(outDir, "tls"), sasl: join(outDir, "sasl") };
}

/**
 * A generated config as the routers of a local platform on `engine`, out folder `outDir`, run
 * it — what config-sync compares them with, by `up` and by a hand-run `amqp-mesh sync` alike:
 * on loopback; real routers with the out folder's certificates and SASL database; in a
 * container, at the container's own paths.
 */
export function localPrepareConfig(
  engine: Engine,
  outDir: string,
  topology: Pick<ValidProject["topology"], "routers">,
): (config: RouterConfig) => RouterConfig {
  if (engine === "emulator") return onLoopback;
  const where = localFilesIn(outDir);
  const files = {
    certificates: certificateFiles(
      where.tls,
      topology.routers.map((r) => r.id),
    ),
    sasl: saslFiles(where.sasl),
  };
  return isContainerEngine(engine)
    ? (config) => inContainer(withLocalFiles(config, files))
    : (config) => withLocalFiles(config, files);
}

/**
 * The routers read broker passwords from the environment (`env:NAME`); name the ones that
 * are unset, since their broker channels will have no route until they are.
 */
export function missingBrokerSecrets(project: ValidProject): string[] {
  const warnings: string[] = [];
  for (const broker of project.topology.brokers) {
    const ref = broker.sasl?.password.secretRef;
    if (ref === undefined || !ref.startsWith("env:")) continue;
    const name = ref.slice("env:".length);
    if (process.env[name] === undefined)
      warnings.push(
        `warning: broker '${broker.name}' (${broker.host}:${broker.port}) takes its password from ` +
          `${name}, which is not set: its channels have no route until it is`,
      );
  }
  return warnings;
}

/** One line per router: id, mode and the URL its clients use. */
export function routerList(routers: LocalRouters): string {
  return routers.routers
    .map((router) => `  ${router.id.padEnd(24)} ${router.mode.padEnd(8)} ${router.url}`)
    .join("\n");
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilInterrupted(): Promise<string> {
  return new Promise((resolvePromise) => {
    const stop = (signal: string) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolvePromise(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
