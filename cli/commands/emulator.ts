import { outDirFor, routerList, startLocalPlatform, untilInterrupted } from "../local-platform.ts";
import type { ParsedArgs } from "../main.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

/** `amqp-mesh emulator <dir> [--out <dir>]`: the project's routers until Ctrl-C. */
export async function runEmulator(args: ParsedArgs): Promise<number> {
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
  await platform.routers.stop();
  return 0;
}
