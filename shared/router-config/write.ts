import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RouterEntityType } from "../router-vocabulary/index.ts";
import { renderConfFile } from "./conf-format.ts";
import { renderJsonFile } from "./json-format.ts";
import type { RouterConfig, RouterConfigFormat } from "./model.ts";

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
/** The Cyrus SASL config written next to the router configs, for `sasl.configDir`. */
export const SASL_CONFIG_FILE = "sasl/amqp-mesh.conf";

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

/** The summary a previous writeRouterConfigs left in `dir`, if any. */
export async function readSummary(dir: string): Promise<ConfigSetSummary | undefined> {
  const text = await readFile(join(dir, SUMMARY_FILE), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as ConfigSetSummary;
    return Array.isArray(parsed.routers) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes `<routerId>.conf` and/or `<routerId>.json` per router and `summary.json` into
 * outDir (created if needed), and `sasl/amqp-mesh.conf` when given; returns the summary.
 * Files an earlier run wrote there (its summary lists them) and this one does not are
 * removed, so that no stale config of a removed router or another format is read back.
 */
export async function writeRouterConfigs(
  configs: readonly RouterConfig[],
  outDir: string,
  options: WriteOptions & { saslConfig?: string | undefined },
): Promise<ConfigSetSummary> {
  await mkdir(outDir, { recursive: true });
  if (options.saslConfig !== undefined) {
    await mkdir(join(outDir, "sasl"), { recursive: true });
    await writeFile(join(outDir, SASL_CONFIG_FILE), options.saslConfig);
  }
  for (const config of configs)
    for (const format of formatsOf(options.format))
      await writeFile(
        join(outDir, `${config.routerId}.${format}`),
        renderRouterFile(config, format),
      );
  const previous = await readSummary(outDir);
  const summary = summarizeConfigs(configs, options.format);
  const written = new Set(summary.routers.flatMap((r) => r.files));
  for (const file of previous?.routers.flatMap((r) => r.files) ?? []) {
    // Only plain file names a summary can list; never a path out of the folder.
    if (!written.has(file) && /^[^/\\]+\.(conf|json)$/.test(file))
      await rm(join(outDir, file), { force: true });
  }
  await writeFile(join(outDir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}
