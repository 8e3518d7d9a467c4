import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderConfFile } from "./conf-format.ts";
import { renderJsonFile } from "./json-format.ts";
import type { RouterConfig, RouterConfigFormat, RouterEntityType } from "./model.ts";

export interface WriteOptions {
  format: RouterConfigFormat | "both";
}

export interface RouterFileSummary {
  routerId: string;
  mode: RouterConfig["mode"];
  flavour: RouterConfig["flavour"];
  /** File names written for this router, relative to the output folder. */
  files: string[];
  /** Number of entities per section type, e.g. { address: 7, listener: 3 }. */
  entityCounts: Partial<Record<RouterEntityType, number>>;
}

export interface ConfigSetSummary {
  routers: RouterFileSummary[];
}

export const SUMMARY_FILE = "summary.json";

function formatsOf(format: WriteOptions["format"]): RouterConfigFormat[] {
  return format === "both" ? ["conf", "json"] : [format];
}

export function renderRouterFile(config: RouterConfig, format: RouterConfigFormat): string {
  return format === "conf" ? renderConfFile(config) : renderJsonFile(config);
}

export function summarizeConfigs(
  configs: readonly RouterConfig[],
  format: WriteOptions["format"],
): ConfigSetSummary {
  return {
    routers: configs.map((config) => {
      const entityCounts: Partial<Record<RouterEntityType, number>> = {};
      for (const entity of config.entities)
        entityCounts[entity.type] = (entityCounts[entity.type] ?? 0) + 1;
      return {
        routerId: config.routerId,
        mode: config.mode,
        flavour: config.flavour,
        files: formatsOf(format).map((f) => `${config.routerId}.${f}`),
        entityCounts,
      };
    }),
  };
}

/**
 * Writes `<routerId>.conf` and/or `<routerId>.json` per router and `summary.json` into
 * outDir (created if needed); returns the summary it wrote.
 */
export async function writeRouterConfigs(
  configs: readonly RouterConfig[],
  outDir: string,
  options: WriteOptions,
): Promise<ConfigSetSummary> {
  await mkdir(outDir, { recursive: true });
  for (const config of configs)
    for (const format of formatsOf(options.format))
      await writeFile(
        join(outDir, `${config.routerId}.${format}`),
        renderRouterFile(config, format),
      );
  const summary = summarizeConfigs(configs, options.format);
  await writeFile(join(outDir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}
