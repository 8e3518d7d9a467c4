import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ParseOptions } from "./attribute-values.ts";
import { parseConfFile } from "./conf-format.ts";
import { RouterConfigParseError } from "./errors.ts";
import { parseJsonFile } from "./json-format.ts";
import type { RouterConfig } from "./model.ts";
import { compareText } from "./scope.ts";
import { readSummary, SUMMARY_FILE } from "./write.ts";

/** Reads one router config file; the extension picks the format, as the router does. */
export async function readRouterConfigFile(
  path: string,
  options: ParseOptions = {},
): Promise<RouterConfig> {
  const text = await readFile(path, "utf8");
  try {
    return path.endsWith(".json") ? parseJsonFile(text, options) : parseConfFile(text, options);
  } catch (error) {
    if (error instanceof RouterConfigParseError)
      throw new RouterConfigParseError(error.line, `${path}: ${error.message}`);
    throw error;
  }
}

/**
 * Reads every router config in a folder written by writeRouterConfigs: the files its
 * summary lists (one per router, `.conf` first), or without a summary every `<id>.conf`,
 * and `<id>.json` where no `.conf` exists. Sorted by router id.
 */
export async function readRouterConfigs(
  dir: string,
  options: ParseOptions = {},
): Promise<RouterConfig[]> {
  const summary = await readSummary(dir);
  if (summary !== undefined) {
    const listed = summary.routers.flatMap((r) => (r.files[0] === undefined ? [] : [r.files[0]]));
    const configs = await Promise.all(
      listed.map((f) => readRouterConfigFile(join(dir, f), options)),
    );
    return configs.sort((a, b) => compareText(a.routerId, b.routerId));
  }
  const files = await readdir(dir);
  const chosen = files
    .filter(
      (f) =>
        f.endsWith(".conf") ||
        (f.endsWith(".json") && !files.includes(f.replace(/\.json$/, ".conf"))),
    )
    .filter((f) => f !== SUMMARY_FILE);
  const configs = await Promise.all(chosen.map((f) => readRouterConfigFile(join(dir, f), options)));
  return configs.sort((a, b) => compareText(a.routerId, b.routerId));
}
