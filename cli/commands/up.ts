import { dirname, isAbsolute, join, relative } from "node:path";
import { MeshClient, type ReceivedMessage } from "../../shared/amqp/index.ts";
import { type CommandArgs, type CommandOptions, defineCommand, RUN_PREFIX } from "../command.ts";
import { startPlatformConsole } from "../console/platform-console.ts";
import type { RunningConsole } from "../console/server.ts";
import { projectSummary } from "../load-project.ts";
import { ENGINES, type Engine } from "../local/engine.ts";
import { RUNTIME_FAILURE } from "../local/errors.ts";
import { type PlatformIngress, startPlatformIngress } from "../local-ingress.ts";
import {
  type LocalPlatform,
  outDirFor,
  routerList,
  SYNC_PRINCIPAL,
  startLocalPlatform,
  untilInterrupted,
} from "../local-platform.ts";
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
  once: { type: "boolean", help: "stop after the round trip (a check of the platform)" },
  out: {
    type: "string",
    value: "<dir>",
    help: "where configs, local users, keys and logs go (default out/<project folder name>)",
  },
} as const satisfies CommandOptions;

export const upCommand = defineCommand({
  name: "up",
  summary: "the local platform: mesh, round trip, HTTP ingress, until Ctrl-C",
  args: "[<dir>]",
  description:
    "Validates, generates, starts the mesh (the emulator, or real routers), proves a round\n" +
    "trip across environments, starts the HTTP ingress and prints how to use it; runs until\n" +
    "Ctrl-C. <dir> defaults to examples. One up per out folder: a second is refused (exit 3).",
  options,
  examples: ["up", "up examples --engine qdrouterd", "up examples --once --out /tmp/mesh-check"],
  run: runUp,
});

/**
 * `amqp-mesh up [<dir>] [--engine emulator|qdrouterd|skrouterd] [--once] [--out <dir>]`:
 * the local platform. Validates, generates, starts the mesh (the emulator by default, or
 * real router processes), proves a round trip across environments, then runs until
 * Ctrl-C (or stops at once with --once).
 */
async function runUp(args: CommandArgs<typeof options>): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError("up takes at most one <dir>");
  const engine = parseEngine(args.values.engine);
  const dir = await projectDir(args.positionals[0] ?? "examples");
  const out = outDirFor(dir, args.values.out);
  console.log(`amqp-mesh up: ${dir} (${engine})`);
  const platform = await startLocalPlatform(dir, out, { engine });
  if (platform === undefined) return 1;
  let ingress: PlatformIngress | undefined;
  let meshConsole: RunningConsole | undefined;
  try {
    console.log(projectSummary(platform.project.topology, platform.project.registry));
    console.log(routerList(platform.routers));
    const check = await roundTrip(platform);
    console.log(check);
    ingress = await startPlatformIngress(platform);
    if (args.values.once === true) {
      // Nothing the platform offered is true any more once this returns: no URL, no command.
      console.log(
        "--once: round trip and HTTP ingress checked; stopping (without --once the platform keeps running and prints how to use it)",
      );
      return 0;
    }
    console.log(`PLAIN users for local clients: ${shownPath(platform.usersFile)}`);
    console.log(`config-sync: ${syncCommandLine(dir, platform)}`);
    console.log(
      `HTTP ingress: POST ${ingress.url}/channels/{channel}/messages (API keys: ${shownPath(ingress.keysFile)}; through ${ingress.routers.join(", ")}, in failover order)`,
    );
    meshConsole = await startPlatformConsole(platform);
    const outArg = args.values.out === undefined ? "" : ` --out ${shownPath(out)}`;
    console.log(
      `mesh console: ${meshConsole.url} (in a terminal: ${RUN_PREFIX} status ${shownPath(dir)}${outArg})`,
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
    await ingress?.close();
    await platform.stop();
  }
}

/**
 * The `sync` command for this platform's routers, to run as printed from where `up` runs
 * (`amqp-mesh` is on no PATH after npm install: npx finds the package's bin).
 */
export function syncCommandLine(dir: string, platform: LocalPlatform): string {
  return shellWords([
    ...RUN_PREFIX.split(" "),
    "sync",
    shownPath(dir),
    ...platform.routers.routers.flatMap((r) => ["--router", r.url]),
    "--username",
    SYNC_PRINCIPAL,
    "--password-file",
    shownPath(platform.syncPasswordFile),
    "--state",
    shownPath(join(dirname(platform.usersFile), "sync-state.json")),
  ]);
}

/** A path as the user would type it from here: relative when it is below the current folder. */
function shownPath(path: string): string {
  const shown = relative(process.cwd(), path);
  return shown === "" ? "." : shown.startsWith("..") || isAbsolute(shown) ? path : shown;
}

/** Words joined for a POSIX shell, each quoted when it holds anything the shell would read. */
function shellWords(words: readonly string[]): string {
  return words
    .map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`))
    .join(" ");
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
