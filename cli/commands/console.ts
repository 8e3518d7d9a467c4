/**
 * `amqp-mesh console [<dir>] [--target <file> | --router <url>…] [--port n]`: serves the mesh
 * console for any mesh (emulated or real, local or deployed) on loopback, logging in as
 * `sync` does; until Ctrl-C.
 */

import type { CommandArgs, CommandOptions } from "../args.ts";
import { defineCommand } from "../command.ts";
import { startConsole } from "../console/server.ts";
import { loadValidProject } from "../load-project.ts";
import { untilInterrupted } from "../local/platform.ts";
import { MESH_OPTIONS, observedRouters } from "../mesh-target.ts";
import { desiredConfigsOf } from "../observe-project.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";
import { parseTimeout } from "./status.ts";

const options = {
  ...MESH_OPTIONS,
  port: {
    type: "string",
    value: "<port>",
    help: "the console's port on 127.0.0.1 (default: a free one)",
  },
  interval: {
    type: "string",
    value: "<ms>",
    help: "time between two readings of a router (default 1000, at least 250)",
  },
  timeout: {
    type: "string",
    value: "<ms>",
    help: "how long a router may take to answer before it shows as down (default 2000)",
  },
} as const satisfies CommandOptions;

export const consoleCommand = defineCommand({
  name: "console",
  summary: "a web page showing the mesh live: routers, links, channels, rates, drift",
  args: "[<dir>]",
  description:
    "Serves the mesh console on 127.0.0.1 and prints its URL, with this run's token (the page\n" +
    "opens with it only): routers by cloud and region as a graph with their links and costs,\n" +
    "channels with producers, consumers, message rates and queue depths, drift against the\n" +
    "registry, and the registry's channel catalog (/catalog/). Reads the routers over AMQP\n" +
    "management only (the login of `sync`; next to a local `up` its own), brokers' queues over\n" +
    "AMQP 1.0 with the topology's login. <dir> defaults to examples. Ctrl-C stops.",
  options,
  examples: [
    "console",
    "console examples --target mesh.json --username config-sync --password-file sync.pw",
  ],
  run: runConsole,
});

function port(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || n > 65535)
    throw new UsageError("--port must be 0 to 65535");
  return n;
}

async function runConsole(args: CommandArgs<typeof options>): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError("console takes at most one <dir>");
  const interval = parseTimeout(args.values.interval);
  if (interval !== undefined && interval < 250)
    throw new UsageError("--interval must be at least 250 ms");
  const timeout = parseTimeout(args.values.timeout);
  const wanted = port(args.values.port);
  const dir = await projectDir(args.positionals[0] ?? "examples");
  const project = await loadValidProject(dir);
  if (project === undefined) return 1;
  const routers = await observedRouters(args, dir, project.topology);
  const running = await startConsole({
    project,
    routers,
    desired: desiredConfigsOf(project, routers),
    log: (line) => console.error(line),
    ...(wanted === undefined ? {} : { port: wanted }),
    ...(interval === undefined ? {} : { intervalMs: interval }),
    ...(timeout === undefined ? {} : { requestTimeoutMs: timeout }),
  });
  console.log(`mesh console: ${running.url} (${routers.length} routers; Ctrl-C stops)`);
  const signal = await untilInterrupted();
  console.log(`${signal}: stopping`);
  await running.close();
  return 0;
}
