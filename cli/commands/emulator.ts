import type { CommandArgs, CommandOptions } from "../args.ts";
import { defineCommand } from "../command.ts";
import { outDirFor, routerList, startLocalPlatform, untilInterrupted } from "../local/platform.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

const options = {
  out: {
    type: "string",
    value: "<dir>",
    help: "where the configs and local users go (default out/<project folder name>)",
  },
} as const satisfies CommandOptions;

/** `amqp-mesh emulator <dir> [--out <dir>]`: the project's routers until Ctrl-C. */
export const emulatorCommand = defineCommand({
  name: "emulator",
  summary: "run the project's router mesh in the embedded emulator",
  args: "<dir>",
  description:
    "Generates the configs and starts the project's routers in the emulator from those\n" +
    "files on the topology's ports (loopback), prints each router's URL; Ctrl-C stops it.",
  options,
  examples: ["emulator examples"],
  run: runEmulator,
});

async function runEmulator(args: CommandArgs<typeof options>): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError("emulator takes one <dir>");
  const dir = await projectDir(args.positionals[0]);
  const out = outDirFor(dir, args.values.out);
  const platform = await startLocalPlatform(dir, out);
  if (platform === undefined) return 1;
  console.log(routerList(platform.routers));
  console.log(`PLAIN users for local clients: ${platform.usersFile}`);
  console.log("router mesh running; Ctrl-C stops it");
  const signal = await untilInterrupted();
  console.log(`${signal}: stopping the routers`);
  await platform.stop();
  return 0;
}
