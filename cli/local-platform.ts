/**
 * The local platform of a project: validate, generate the router configs into a folder,
 * read them back as a real router would, and start the emulated mesh on the topology's
 * ports. PLAIN passwords for the registry's principals are made up per run (never
 * committed) and written next to the configs.
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { type LocalMesh, startLocalMesh } from "../emulator/index.ts";
import { readRouterConfigs } from "../shared/router-config/index.ts";
import { generateInto } from "./commands/generate.ts";
import { loadValidProject, type ValidProject } from "./load-project.ts";

export interface LocalPlatform {
  project: ValidProject;
  mesh: LocalMesh;
  configDir: string;
  /** PLAIN credentials of every principal, for local clients only. */
  users: Map<string, string>;
  usersFile: string;
}

/** Where generated files go: `--out` when given, else out/<project folder name>. */
export function outDirFor(projectDir: string, outArg: string | boolean | undefined): string {
  return typeof outArg === "string" ? resolve(outArg) : resolve("out", basename(projectDir));
}

/** Undefined when the project is invalid (its diagnostics were printed to stderr). */
export async function startLocalPlatform(
  dir: string,
  outDir: string,
  log: (line: string) => void = console.log,
): Promise<LocalPlatform | undefined> {
  const project = await loadValidProject(dir);
  if (project === undefined) return undefined;
  const configDir = join(outDir, "routers");
  const summary = await generateInto(project, configDir, { format: "json" });
  if (summary === undefined) return undefined;
  log(`generated ${summary.routers.length} router configs in ${configDir}`);

  const users = new Map<string, string>();
  for (const team of project.registry.teams)
    for (const principal of team.principals) users.set(principal, randomBytes(12).toString("hex"));
  await mkdir(outDir, { recursive: true });
  const usersFile = join(outDir, "local-users.json");
  await writeFile(usersFile, `${JSON.stringify({ users: Object.fromEntries(users) }, null, 2)}\n`, {
    mode: 0o600,
  });

  for (const warning of missingBrokerSecrets(project)) log(warning);
  const configs = await readRouterConfigs(configDir);
  const mesh = await startLocalMesh({
    topology: project.topology,
    configs,
    ports: "topology",
    users,
  });
  return { project, mesh, configDir, users, usersFile };
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
export function routerList(mesh: LocalMesh): string {
  return Object.values(mesh.routers)
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
