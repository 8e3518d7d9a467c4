import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { UsageError } from "./usage.ts";

/** A project folder holds topology.yaml and registry/; a missing folder is a usage error. */
export async function projectDir(arg: string | undefined, what = "<dir>"): Promise<string> {
  if (arg === undefined)
    throw new UsageError(`missing ${what}: the folder with topology.yaml and registry/`);
  const dir = resolve(arg);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`${what} '${arg}' is not a folder`);
  return dir;
}
