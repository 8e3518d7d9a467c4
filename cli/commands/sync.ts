import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { ManagementTarget } from "../../shared/management/index.ts";
import {
  DirectorySource,
  FileStateStore,
  formatSyncReport,
  runSync,
  SyncStateError,
} from "../../shared/sync/index.ts";
import type { CommandArgs, CommandOptions } from "../args.ts";
import { defineCommand } from "../command.ts";
import { loadValidProject } from "../load-project.ts";
import type { Engine } from "../local/engine.ts";
import { LocalPlatformError, RUNTIME_FAILURE } from "../local/errors.ts";
import { runningHolder } from "../local/out-lock.ts";
import { localPrepareConfig, outDirFor } from "../local/platform.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

type Env = Readonly<Record<string, string | undefined>>;

const options = {
  router: {
    type: "string",
    multiple: true,
    value: "<url>",
    help: "a router's amqp:// or amqps:// URL (required; repeat, or comma-separate, for more)",
  },
  "dry-run": { type: "boolean", help: "plan only: send no change" },
  json: { type: "boolean", help: "the report as JSON" },
  username: {
    type: "string",
    value: "<name>",
    help: "the management principal's PLAIN login (default MESH_SASL_USERNAME; none: ANONYMOUS)",
  },
  "password-file": {
    type: "string",
    value: "<file>",
    help: "a file holding its password (default MESH_SASL_PASSWORD)",
  },
  ca: { type: "string", value: "<file>", help: "the CA of the routers' TLS (default MESH_TLS_CA)" },
  out: {
    type: "string",
    value: "<dir>",
    help: "the out folder of the `up` whose routers these are, if any (default out/<project>)",
  },
  state: {
    type: "string",
    value: "<file>",
    help: "the last good registry and per-router state (default <out>/sync-state.json)",
  },
  timeout: {
    type: "string",
    value: "<ms>",
    help: "how long each management request may wait for its answer, in ms (default 10000)",
  },
  "management-principal": {
    type: "string",
    multiple: true,
    value: "<name>",
    help: "another login the desired vhosts let use $management; repeat for more",
  },
} as const satisfies CommandOptions;

type ParsedArgs = CommandArgs<typeof options>;

function routerUrls(value: string[] | undefined): string[] {
  const urls = (value ?? []).flatMap((v) => v.split(","));
  const trimmed = urls.map((u) => u.trim()).filter((u) => u !== "");
  if (trimmed.length === 0)
    throw new UsageError("sync needs --router <url> (one per router: amqp[s]://host:port)");
  for (const url of trimmed)
    if (!/^amqps?:\/\/[^/]+/.test(url))
      throw new UsageError(
        `--router '${url.replace(/\/\/[^@/]*@/, "//***@")}' is not an amqp:// or amqps:// URL`,
      );
  return trimmed;
}

function positiveMs(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new UsageError(`${what} must be a positive whole number of milliseconds`);
  return n;
}

/**
 * The management principal's login: `--username` or MESH_SASL_USERNAME, the password from
 * `--password-file` or MESH_SASL_PASSWORD (never a command-line argument: it would show in
 * the process list). Without a username the routers are asked for ANONYMOUS.
 */
async function login(args: ParsedArgs, env: Env): Promise<ManagementTarget["sasl"]> {
  const username =
    typeof args.values.username === "string" ? args.values.username : env.MESH_SASL_USERNAME;
  const file = args.values["password-file"];
  let password = env.MESH_SASL_PASSWORD;
  if (typeof file === "string") {
    try {
      password = (await readFile(file, "utf8")).replace(/\r?\n$/, "");
    } catch {
      throw new UsageError(`--password-file '${file}' cannot be read`);
    }
  }
  if (username === undefined || username === "") return { mechanism: "ANONYMOUS" };
  if (password === undefined)
    throw new UsageError(
      `no password for '${username}': set MESH_SASL_PASSWORD or give --password-file <file>`,
    );
  return { mechanism: "PLAIN", username, password };
}

function tlsOf(args: ParsedArgs, env: Env): ManagementTarget["tls"] {
  const ca = typeof args.values.ca === "string" ? args.values.ca : env.MESH_TLS_CA;
  return {
    ...(ca === undefined || ca === "" ? {} : { ca }),
    ...(env.MESH_TLS_SERVERNAME ? { servername: env.MESH_TLS_SERVERNAME } : {}),
    rejectUnauthorized: env.MESH_TLS_REJECT_UNAUTHORIZED !== "false",
  };
}

/**
 * `amqp-mesh sync <dir> --router <url>... [--dry-run] [--json]`: brings each router to the
 * project's registry over AMQP management, printing the plan per router and what was done.
 * Exit 0 all in sync (or planned), 1 the registry was refused (invalid, breaking change:
 * nothing was sent), 2 usage, 3 a router could not be synced (unreachable, an operation
 * failed) — retried by running again.
 */
export const syncCommand = defineCommand({
  name: "sync",
  summary: "bring live routers to a project's registry over AMQP management",
  args: "<dir>",
  description:
    "Per router the minimal plan (create, update, delete + create) from the registry against\n" +
    "what the router has, applied (--dry-run: planned only). The principal logs in with PLAIN;\n" +
    "its password never goes on the command line. Exit 1 when the registry is refused\n" +
    "(invalid, or a breaking change without a raised version: nothing sent), 3 when a router\n" +
    "could not be synced (run again).",
  options,
  examples: [
    "sync examples --router amqp://127.0.0.1:17111 --username amqp-mesh-sync --password-file out/examples/sync-password --dry-run",
  ],
  run: (args) => runSyncCommand(args),
});

export async function runSyncCommand(args: ParsedArgs, env: Env = process.env): Promise<number> {
  if (args.positionals.length !== 1) throw new UsageError("sync takes one <dir>");
  const dir = await projectDir(args.positionals[0]);
  const urls = routerUrls(args.values.router);
  const sasl = await login(args, env);
  const tls = tlsOf(args, env);
  const principals = args.values["management-principal"];
  const out = outDirFor(dir, args.values.out);
  const stateFile =
    typeof args.values.state === "string"
      ? resolve(args.values.state)
      : join(out, "sync-state.json");
  // An up running on this out folder started its routers from configs made fit for this
  // machine (loopback; real routers: its own certificates and SASL database): compared with
  // the project's configs as deployed, its sslProfiles and SASL settings would look changed.
  // The routers are compared as that up runs them, exactly as its own config-sync does.
  const up = await runningHolder(out);
  const project = up === undefined ? undefined : await loadValidProject(dir);
  const prepareConfig =
    up === undefined || project === undefined
      ? undefined
      : localPrepareConfig(up.engine as Engine, out, project.topology);
  if (up !== undefined && args.values.json !== true)
    console.log(
      `the up running on ${out} (pid ${up.pid}, ${up.engine}) started these routers: compared as it runs them (loopback${up.engine === "emulator" ? "" : ", its certificates and SASL database"}), as its own config-sync does`,
    );
  const timeoutMs = positiveMs(args.values.timeout, "--timeout");
  let report: Awaited<ReturnType<typeof runSync>>;
  try {
    report = await runSync({
      source: new DirectorySource(dir),
      routers: urls.map((url) => ({
        url,
        sasl,
        ...(url.startsWith("amqps:") || tls?.ca !== undefined ? { tls } : {}),
      })),
      state: new FileStateStore(stateFile),
      dryRun: args.values["dry-run"] === true,
      ...(prepareConfig === undefined ? {} : { prepareConfig }),
      ...(Array.isArray(principals) ? { managementPrincipals: principals } : {}),
      open: { ...(timeoutMs === undefined ? {} : { timeoutMs }) },
    });
  } catch (error) {
    if (error instanceof SyncStateError) throw new LocalPlatformError(error.message);
    throw new LocalPlatformError(
      `sync: ${error instanceof Error ? error.message : String(error)} (state ${join(stateFile)})`,
    );
  }
  if (args.values.json === true) console.log(JSON.stringify(report, null, 2));
  else process.stdout.write(formatSyncReport(report));
  if (report.outcome === "refused") return 1;
  return report.outcome === "failed" ? RUNTIME_FAILURE : 0;
}
