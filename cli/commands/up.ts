import { cp, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { CommandArgs, CommandOptions } from "../args.ts";
import { defineCommand, RUN_PREFIX } from "../command.ts";
import { type PlatformConsole, startPlatformConsole } from "../console/platform-console.ts";
import { projectSummary } from "../load-project.ts";
import { type CloudTwin, startCloudTwin } from "../local/cloud-twin.ts";
import { ENGINES, type Engine } from "../local/engine.ts";
import { RUNTIME_FAILURE } from "../local/errors.ts";
import { InvocationLog, runOnceStory, UpdateLog } from "../local/once-story.ts";
import { outDirFor, startLocalPlatform, untilInterrupted } from "../local/platform.ts";
import { roundTrip } from "../local/round-trip.ts";
import type { RouterExit } from "../local/router-processes.ts";
import {
  formatRuns,
  formatUpdate,
  invocationLine,
  shownPath,
  tryIt,
  whatRunsWhere,
} from "../local/up-report.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

const options = {
  engine: {
    type: "string",
    value: "<engine>",
    help: `what runs the routers: ${ENGINES.join(" | ")} (default emulator; qdrouterd/skrouterd from PATH; container-*: podman containers of images built here)`,
  },
  once: {
    type: "boolean",
    help: "run the whole story once (HTTP → mesh → functions; a registry edit and its revert), then stop",
  },
  out: {
    type: "string",
    value: "<dir>",
    help: "where configs, local users, keys and logs go (default out/<project folder name>)",
  },
} as const satisfies CommandOptions;

export const upCommand = defineCommand({
  name: "up",
  summary: "the local platform, the clouds' twin: mesh, stores, config-sync, ingress, functions",
  args: "[<dir>]",
  description:
    "Validates, starts the mesh (the emulator, or real routers), the registry stores and both\n" +
    "clouds' config-sync, ingress and channel functions, proves a round trip and prints how to\n" +
    "use it; follows every edit of <dir>/registry/ until Ctrl-C. <dir> defaults to examples.\n" +
    "One up per out folder: a second is refused (exit 3).",
  options,
  examples: ["up", "up examples --engine qdrouterd", "up examples --once --out /tmp/mesh-check"],
  run: runUp,
});

/**
 * `amqp-mesh up [<dir>] [--engine emulator|qdrouterd|skrouterd] [--once] [--out <dir>]`:
 * the local platform, the clouds' twin. Validates, starts the mesh from start-up configs (the
 * emulator by default, or real router processes, supervised), the registry stores, both
 * clouds' config-sync (which brings the routers their channels from the store's events),
 * proves a round trip across environments, starts both clouds' HTTP ingress and the
 * project's channel triggers, then runs until Ctrl-C, following every registry edit (or,
 * with --once, runs the whole story once and stops).
 */
async function runUp(args: CommandArgs<typeof options>): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError("up takes at most one <dir>");
  const engine = parseEngine(args.values.engine);
  const dir = await projectDir(args.positionals[0] ?? "examples");
  const out = outDirFor(dir, args.values.out);
  const once = args.values.once === true;
  const progress = new Progress(process.stdout.isTTY === true);
  console.log(`amqp-mesh up: ${dir} (${engine})`);
  // Late-bound: a router restarted by the supervisor gets its channels back from config-sync.
  let twin: CloudTwin | undefined;
  const onRouterExit = (event: RouterExit) => {
    if (event.kind === "exited")
      console.error(
        `router ${event.routerId} exited: ${event.detail}\n  restarting in ${((event.retryInMs ?? 0) / 1000).toFixed(1)} s (attempt ${event.attempt})`,
      );
    else if (event.kind === "restart-failed")
      console.error(`router ${event.routerId}: restart failed: ${event.detail}`);
    else {
      console.log(
        `router ${event.routerId} restarted (${event.detail}); config-sync's drift run brings its channels back`,
      );
      void twin?.driftTick().then(
        (runs) => console.log(formatRuns(runs, "  drift run")),
        (error: unknown) => console.error(`  drift run failed: ${String(error)}`),
      );
    }
  };
  // A signal while starting ends the process through its exit handlers, which kill the
  // routers and the storage emulators it started (the default would leave them running).
  const duringStart = (signal: NodeJS.Signals) => {
    console.error(`${signal} while starting: stopping`);
    process.exit(130);
  };
  process.once("SIGINT", duringStart);
  process.once("SIGTERM", duringStart);
  const started = performance.now();
  const platform = await startLocalPlatform(dir, out, {
    engine,
    // Start-up files as in the clouds: what only a restart changes; channels from config-sync.
    entities: "startup",
    onRouterExit,
    log: (line) => console.log(line),
  });
  if (platform === undefined) return 1;
  let meshConsole: PlatformConsole | undefined;
  progress.done(
    `${platform.routers.routers.length} routers started (${engine})`,
    performance.now() - started,
  );
  const invocations = new InvocationLog();
  const updates = new UpdateLog();
  try {
    console.log(projectSummary(platform.project.topology, platform.project.registry));
    // --once edits the registry: in a copy of the project's registry, never the project.
    const registryDir = once ? await registryCopy(dir, out) : dir;
    twin = await startCloudTwin({
      platform,
      registryDir,
      projectDir: dir,
      step: (name, ms) => progress.done(name, ms),
      onInvocation: (invocation) => {
        invocations.add(invocation);
        if (!once) console.log(invocationLine(invocation));
      },
    });
    console.log(formatRuns(twin.initial.runs, "config-sync"));
    const roundTripStarted = performance.now();
    const check = await roundTrip(platform);
    progress.done("round trip across the clouds", performance.now() - roundTripStarted);
    console.log(check);
    // --once: nothing it would print stays true once it returns (no URL, no command).
    if (!once) console.log(whatRunsWhere(platform, twin));
    for (const notice of twin.notStarted)
      console.log(`function ${notice.name} (${notice.channel}) not started: ${notice.reason}`);
    process.off("SIGINT", duringStart);
    process.off("SIGTERM", duringStart);
    // The console and its catalog show the registry the platform enforces: the last accepted.
    let accepted = platform.project;
    twin.watch((update) => {
      updates.add(update);
      console.log(
        formatUpdate(
          update,
          twin?.registries.all.map((r) => r.name),
        ),
      );
      if (update.accepted === undefined) return;
      accepted = update.accepted;
      meshConsole?.follow(update.accepted).catch((error: unknown) => {
        console.error(`console: could not follow the registry: ${String(error)}`);
      });
    });
    if (once) {
      console.log("--once: the whole story");
      const steps = await runOnceStory({
        platform,
        twin,
        invocations,
        updates,
        print: (line) => console.log(line),
      });
      const failed = steps.filter((s) => !s.ok);
      console.log(
        failed.length === 0
          ? `--once: all ${steps.length} steps held; stopping (without --once the platform keeps running and prints how to use it)`
          : `--once: ${failed.length} of ${steps.length} steps did not hold; stopping`,
      );
      return failed.length === 0 ? 0 : RUNTIME_FAILURE;
    }
    console.log(tryIt(platform, twin));
    const shown = accepted;
    meshConsole = await startPlatformConsole(
      { ...platform, project: shown },
      { catalogDir: join(out, "catalog") },
    );
    // A registry accepted while the console started.
    if (accepted !== shown) await meshConsole.follow(accepted);
    const outArg = args.values.out === undefined ? "" : ` --out ${shownPath(out)}`;
    console.log(
      `mesh console: ${meshConsole.url} (in a terminal: ${RUN_PREFIX} status ${shownPath(dir)}${outArg})`,
    );
    console.log(
      `channel catalog: ${meshConsole.origin}catalog/ (the same token; its AsyncAPI documents also in ${shownPath(join(out, "catalog"))}/)`,
    );
    console.log("local platform running; Ctrl-C stops it");
    const signal = await untilInterrupted();
    console.log(`${signal}: stopping`);
    return 0;
  } catch (error) {
    const exited = (await platform.routers.exited?.()) ?? [];
    console.error(
      [`up: ${error instanceof Error ? error.message : String(error)}`, ...exited].join("\n"),
    );
    return RUNTIME_FAILURE;
  } finally {
    await meshConsole?.close();
    await twin?.stop();
    await platform.stop();
  }
}

/** Start-up steps: a checked line each with its time (a TTY gets the time aligned). */
class Progress {
  readonly #tty: boolean;
  constructor(tty: boolean) {
    this.#tty = tty;
  }
  done(name: string, ms: number): void {
    const time = ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`;
    console.log(this.#tty ? `  \u2713 ${name.padEnd(70)} ${time}` : `  \u2713 ${name} (${time})`);
  }
}

/** A copy of the project's topology and registry for --once to edit (in the out folder). */
async function registryCopy(dir: string, out: string): Promise<string> {
  const copy = join(out, "once-project");
  await rm(copy, { recursive: true, force: true });
  await mkdir(copy, { recursive: true });
  await cp(join(dir, "registry"), join(copy, "registry"), { recursive: true });
  await cp(join(dir, "topology.yaml"), join(copy, "topology.yaml"));
  return copy;
}

export function parseEngine(value: string | boolean | undefined): Engine {
  if (value === undefined) return "emulator";
  if (typeof value === "string" && (ENGINES as readonly string[]).includes(value))
    return value as Engine;
  throw new UsageError(`--engine must be one of ${ENGINES.join(", ")}`);
}
