/**
 * `amqp-mesh status [<dir>] [--target <file> | --router <url>…] [--json]`: every router read
 * once over AMQP management — per cloud and region, up or down, uptime, version, links and
 * their costs, channels with consumers per router and their counts, drift. The terminal twin
 * of the console. Exit 0 every router answered, 3 one did not.
 */
import { formatMeshView } from "../../shared/observe/index.ts";
import type { CommandArgs, CommandOptions } from "../args.ts";
import { defineCommand } from "../command.ts";
import { RUNTIME_FAILURE } from "../local/errors.ts";
import { MESH_OPTIONS } from "../mesh-target.ts";
import { observeProject } from "../observe-project.ts";
import { UsageError } from "../usage.ts";

const options = {
  ...MESH_OPTIONS,
  json: { type: "boolean", help: "the view as JSON (what the console streams)" },
  timeout: {
    type: "string",
    value: "<ms>",
    help: "how long each router may take to answer a request (default 2000)",
  },
} as const satisfies CommandOptions;

export const statusCommand = defineCommand({
  name: "status",
  summary: "the mesh read once: routers per cloud, links, channels with consumers, drift",
  args: "[<dir>]",
  description:
    "Reads every router once over AMQP management (the login of `sync`; next to a local `up`\n" +
    "its own) and prints routers per cloud and region (state, uptime, version), the links\n" +
    "with costs and state, each channel with its consumers per router and message counts, a\n" +
    "broker channel's queue depth and its dead letters waiting (read from the broker over AMQP\n" +
    "1.0, or unknown with the reason), and drift against the registry. <dir> defaults to examples. Exit 3 when a router did not answer.",
  options,
  examples: [
    "status",
    "status examples --json",
    "status examples --router amqp://127.0.0.1:17101 --username amqp-mesh-sync --password-file out/examples/sync-password",
  ],
  run: runStatus,
});

export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new UsageError("--timeout must be a positive whole number of milliseconds");
  return n;
}

async function runStatus(args: CommandArgs<typeof options>): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError("status takes at most one <dir>");
  const timeout = parseTimeout(args.values.timeout);
  const observed = await observeProject(args, args.positionals[0], {
    ...(timeout === undefined ? {} : { requestTimeoutMs: timeout }),
  });
  if (observed === undefined) return 1;
  try {
    const view = await observed.observer.readOnce();
    console.log(args.values.json === true ? JSON.stringify(view, null, 2) : formatMeshView(view));
    return view.summary.up === view.summary.routers ? 0 : RUNTIME_FAILURE;
  } finally {
    await observed.observer.close();
  }
}
