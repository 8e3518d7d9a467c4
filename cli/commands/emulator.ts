import { resolve } from "node:path";
import { defaultOutDir, startLocalPlatform, untilInterrupted } from "../local-platform.ts";
import type { ParsedArgs } from "../main.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

/** `amqp-mesh emulator <dir> [--out <dir>]`: the project's routers until Ctrl-C. */
export async function runEmulator(args: ParsedArgs): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError("emulator takes one <dir>");
  const dir = await projectDir(args.positionals[0]);
  const out = typeof args.values.out === "string" ? resolve(args.values.out) : defaultOutDir(dir);
  const platform = await startLocalPlatform(dir, out);
  if (platform === undefined) return 1;
  for (const router of Object.values(platform.mesh.routers))
    console.log(`  ${router.id.padEnd(24)} ${router.mode.padEnd(8)} ${router.url}`);
  console.log(`PLAIN users for local clients: ${platform.usersFile}`);
  console.log("router mesh running; Ctrl-C stops it");
  const signal = await untilInterrupted();
  console.log(`${signal}: stopping the routers`);
  await platform.mesh.stop();
  return 0;
}
