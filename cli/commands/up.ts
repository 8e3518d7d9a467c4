import { cp, mkdir, rm } from "node:fs/promises";
import { isAbsolute, join, relative } from "node:path";
import { MeshClient, type ReceivedMessage } from "../../shared/amqp/index.ts";
import { type CommandArgs, type CommandOptions, defineCommand, RUN_PREFIX } from "../command.ts";
import { type PlatformConsole, startPlatformConsole } from "../console/platform-console.ts";
import { projectSummary } from "../load-project.ts";
import type { SyncRun } from "../local/cloud-sync.ts";
import type { Invocation } from "../local/cloud-triggers.ts";
import { type CloudTwin, type RegistryUpdate, startCloudTwin } from "../local/cloud-twin.ts";
import { ENGINES, type Engine } from "../local/engine.ts";
import { RUNTIME_FAILURE } from "../local/errors.ts";
import { LOCAL_POLL_MS, REGISTRY_SNAPSHOT_KEY } from "../local/function-registries.ts";
import { InvocationLog, runOnceStory, UpdateLog } from "../local/once-story.ts";
import {
  type LocalPlatform,
  outDirFor,
  routerList,
  startLocalPlatform,
  untilInterrupted,
} from "../local/platform.ts";
import { REGISTRY_BUCKET } from "../local/registry-stores.ts";
import type { RouterExit } from "../local/router-processes.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

/** How long the round trip may take, from the publish to the message's arrival. */
const ROUND_TRIP_TIMEOUT_MS = 20_000;

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

function invocationLine(invocation: Invocation): string {
  return (
    `function ${invocation.trigger} (${invocation.cloud}) \u2190 ${invocation.channel}: ` +
    `${invocation.records.length} message(s), ${invocation.failed} failed, ${invocation.ms.toFixed(0)} ms`
  );
}

/** Per cloud: what config-sync did, and the writes per router. */
export function formatRuns(runs: readonly SyncRun[], label: string): string {
  const lines: string[] = [];
  for (const cloud of [...new Set(runs.map((r) => r.cloud))]) {
    const mine = runs.filter((r) => r.cloud === cloud);
    const last = mine.at(-1)?.summary;
    const operations = mine.flatMap((r) => r.operations);
    const ms = mine.reduce((sum, r) => sum + r.ms, 0);
    const byRouter = new Map<string, string[]>();
    for (const op of operations) {
      const list = byRouter.get(op.router) ?? [];
      list.push(
        `${op.operation} ${op.entityType ?? "?"} ${op.name ?? ""}${op.ok ? "" : " (failed)"}`.trim(),
      );
      byRouter.set(op.router, list);
    }
    const restartOnly = last?.totals?.restartOnly ?? 0;
    lines.push(
      `${label} ${cloud}: ${mine.length} event(s), ${last?.outcome ?? "?"}, ${last?.totals?.routers ?? 0} routers, ${operations.length} operations (${ms.toFixed(0)} ms)` +
        (restartOnly > 0
          ? `; ${restartOnly} change(s) only a restart applies (the function's log lists them)`
          : ""),
    );
    for (const [router, ops] of byRouter) {
      const counts = new Map<string, number>();
      for (const op of ops) {
        const [verb, type] = op.split(" ");
        const key = `${verb} ${type}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      lines.push(`  ${router}: ${[...counts].map(([k, n]) => `${n} ${k}`).join(", ")}`);
    }
  }
  return lines.join("\n");
}

export function formatUpdate(update: RegistryUpdate, readers?: readonly string[]): string {
  const lines = ["registry edit:"];
  if (update.uploaded !== undefined)
    lines.push(
      `  uploaded to both stores: ${update.uploaded.written.join(", ") || "nothing changed"}${update.uploaded.removed.length > 0 ? `; removed ${update.uploaded.removed.join(", ")}` : ""}`,
    );
  if (update.runs.length > 0) lines.push(formatRuns(update.runs, "  config-sync"));
  if (update.change !== undefined) {
    const c = update.change;
    lines.push(
      `  channels: ${c.added.length > 0 ? `+${c.added.join(" +")}` : "none added"}; ${c.removed.length > 0 ? `-${c.removed.join(" -")}` : "none removed"}${c.changed.length > 0 ? `; changed ${c.changed.join(", ")}` : ""}`,
      `  ingress and triggers: registry ${c.previous.slice(0, 12)} \u2192 ${c.digest.slice(0, 12)}, read from their stores${readers === undefined ? "" : ` by ${readers.join(", ")}`} (${update.ms.toFixed(0)} ms from the edit)`,
    );
  } else {
    lines.push(`  nothing changed anywhere: ${update.refused ?? "?"}`);
  }
  return lines.join("\n");
}

function whatRunsWhere(platform: LocalPlatform, twin: CloudTwin): string {
  const { topology } = platform.project;
  const lines = ["", "what runs where:"];
  for (const environment of topology.environments) {
    lines.push(`  ${environment.cloud} (${environment.name}, ${environment.region}) routers:`);
    const ids = new Set(
      topology.routers.filter((r) => r.environment === environment.name).map((r) => r.id),
    );
    lines.push(
      routerList({
        ...platform.routers,
        routers: platform.routers.routers.filter((r) => ids.has(r.id)),
      }).replace(/^/gm, "  "),
    );
  }
  const bucket = `${twin.stores.s3.endpoint}/${REGISTRY_BUCKET}`;
  lines.push(
    `  registry stores: AWS bucket ${bucket} (S3rver); Azure container ${twin.stores.container.url} (Azurite)`,
    `  the functions' registry: ${REGISTRY_SNAPSHOT_KEY} in their cloud's store (config-sync publishes it after its gate), read by ETag every ${LOCAL_POLL_MS} ms`,
  );
  for (const sync of twin.syncs)
    lines.push(
      `  config-sync ${sync.cloud}: ${sync.cloud === "aws" ? "EventBridge Object Created \u2192 Lambda handler" : "Event Grid BlobCreated \u2192 Functions handler"} \u2192 ${sync.routerIds.join(", ")}`,
    );
  for (const ingress of twin.ingresses)
    lines.push(
      `  HTTP ingress ${ingress.cloud}: POST ${ingress.url}/channels/{channel}/messages (${ingress.cloud === "aws" ? "API Gateway v2 \u2192 Lambda handler" : "Functions HTTP handler"}; as ${ingress.login} through ${ingress.routers.join(", ")}, in failover order)`,
    );
  for (const trigger of twin.triggers)
    lines.push(
      `  function ${trigger.name} on ${trigger.channel}: ${trigger.cloud} (${trigger.environment}), bridge \u2192 ${trigger.description}, as ${trigger.login} through ${trigger.routers.join(", ")}`,
    );
  lines.push(
    `  logs of the functions: ${shownPath(twin.logDir)}/; PLAIN users: ${shownPath(platform.usersFile)}; API keys: ${shownPath(twin.keysFile)}`,
  );
  return lines.join("\n");
}

/** A curl that gets a 202 as printed, and where its effect shows. */
function tryIt(platform: LocalPlatform, twin: CloudTwin): string {
  const aws = twin.ingresses.find((i) => i.cloud === "aws") ?? twin.ingresses[0];
  if (aws === undefined) return "";
  const orders = platform.project.registry.channels.find((c) => c.address === "sales/orders");
  const channel = orders?.address ?? platform.project.registry.channels[0]?.address ?? "";
  const body =
    orders !== undefined
      ? '{"orderId":"ord-1001","customerId":"c-7","lines":[{"sku":"sku-1","quantity":2}]}'
      : "{}";
  const keys = shownPath(twin.keysFile);
  const keyFile = keys.startsWith("/") ? keys : `./${keys}`;
  const key = `$(node -p "require('${keyFile}').keys['${aws.login}']")`;
  const lines = [
    "",
    `try it (the API key of ${aws.login}, read from ${keys}):`,
    `  curl -i ${aws.url}/channels/${encodeURIComponent(channel)}/messages -H 'content-type: application/json' -H "x-api-key: ${key}" -d '${body}'`,
    "  \u2192 HTTP/1.1 202 Accepted",
  ];
  const trigger = twin.triggers.find((t) => t.channel === channel);
  for (const notice of twin.notStarted)
    lines.push(
      `  but: ${notice.name} does not run (${notice.reason}); a function publishing to ${notice.channel} cannot, and the ingress answers 202 only once the channel's consumer settled the message (504 after its deadline)`,
    );
  if (trigger !== undefined) {
    lines.push(
      `  then: a line 'function ${trigger.name} (${trigger.cloud}) \u2190 ${channel}' here, its log in ${shownPath(twin.logDir)}/${trigger.name}.log`,
    );
    const next = twin.triggers.find((t) => t !== trigger);
    if (next !== undefined)
      lines.push(
        `  and what it publishes on ${next.channel}: 'function ${next.name} (${next.cloud}) \u2190 ${next.channel}' here, "invoice sent" in ${shownPath(twin.logDir)}/${next.name}.log`,
      );
  }
  lines.push(
    `edit a file under ${shownPath(join(twin.registryDir, "registry"))}/: up uploads it to both stores, config-sync brings the routers to it, and the ingress and triggers follow; up prints what changed`,
  );
  return lines.join("\n");
}

/** A path as the user would type it from here: relative when it is below the current folder. */
function shownPath(path: string): string {
  const shown = relative(process.cwd(), path);
  return shown === "" ? "." : shown.startsWith("..") || isAbsolute(shown) ? path : shown;
}

export function parseEngine(value: string | boolean | undefined): Engine {
  if (value === undefined) return "emulator";
  if (typeof value === "string" && (ENGINES as readonly string[]).includes(value))
    return value as Engine;
  throw new UsageError(`--engine must be one of ${ENGINES.join(", ")}`);
}

interface Party {
  principal: string;
  router: string;
}

/**
 * Publishes one message at-least-once from an edge router of the first environment and
 * receives it on an edge router of the last one: the smallest proof the mesh routes.
 */
async function roundTrip(platform: LocalPlatform): Promise<string> {
  const { registry, topology } = platform.project;
  const channel = registry.channels.find(
    (c) =>
      c.distribution !== "multicast" &&
      c.delivery === "at-least-once" &&
      c.routing.kind === "message" &&
      c.environments === undefined,
  );
  if (channel === undefined) return "round trip: skipped (no all-environment anycast channel)";
  const edges = topology.routers.filter((r) => r.mode === "edge");
  const from = edges[0] ?? topology.routers[0]!;
  const to = edges.at(-1) ?? topology.routers.at(-1)!;
  const producer = partyFor(platform, channel.producers, from.id);
  const consumer = partyFor(platform, channel.consumers, to.id);

  const publisher = clientFor(platform, producer);
  const receiver = clientFor(platform, consumer);
  let timer: NodeJS.Timeout | undefined;
  try {
    const received = new Promise<ReceivedMessage>((resolvePromise, reject) => {
      receiver.consume(channel.address, (message) => resolvePromise(message), { prefetch: 1 });
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `round trip: nothing arrived on ${channel.address} at ${consumer.principal}@${to.id} within ${ROUND_TRIP_TIMEOUT_MS / 1000} s`,
            ),
          ),
        ROUND_TRIP_TIMEOUT_MS,
      );
    });
    received.catch(() => undefined);
    const started = performance.now();
    const messageId = `up-check-${Date.now()}`;
    // The producer gets credit once the mesh knows the consumer: the publish waits for it.
    await publisher.publish(
      channel.address,
      { body: { check: "amqp-mesh up", at: new Date().toISOString() }, messageId },
      { deadline: ROUND_TRIP_TIMEOUT_MS },
    );
    const message = await received;
    const ms = (performance.now() - started).toFixed(1);
    if (message.messageId !== messageId)
      throw new Error(
        `round trip: expected message ${messageId}, got ${String(message.messageId)}`,
      );
    return (
      `round trip: ${channel.address} ${producer.principal}@${from.id} → ` +
      `${consumer.principal}@${to.id} accepted and received in ${ms} ms`
    );
  } finally {
    clearTimeout(timer);
    await Promise.all([publisher.close(), receiver.close()]);
  }
}

/** A principal of a team (or the principal itself) named in the channel's list. */
function partyFor(platform: LocalPlatform, names: readonly string[], router: string): Party {
  for (const name of names) {
    const team = platform.project.registry.teams.find((t) => t.team === name);
    const principal = team ? team.principals[0] : platform.users.has(name) ? name : undefined;
    if (principal !== undefined) return { principal, router };
  }
  throw new Error(`round trip: no principal among ${names.join(", ")}`);
}

function clientFor(platform: LocalPlatform, party: Party): MeshClient {
  return new MeshClient({
    urls: [platform.routers.url(party.router)],
    sasl: {
      mechanism: "PLAIN",
      username: party.principal,
      password: platform.users.get(party.principal) ?? "",
    },
    reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, maxAttempts: 5 },
  });
}
