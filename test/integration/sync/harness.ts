/**
 * What the sync integration tests share: a copy of the example project on free ports, an
 * interior and an edge started from its generated configs (the emulator, or real routers
 * with MESH_TARGET={"engine": …}), a wire tap in front of each router counting management
 * requests, the config-sync principal's PLAIN login, and edits of the registry files.
 */
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { ManagementTarget } from "../../../shared/management/index.ts";
import {
  DirectorySource,
  type MemoryStateStore,
  runSync,
  type SyncReport,
  type SyncRunOptions,
} from "../../../shared/sync/index.ts";
import type { RouterFlavour } from "../../../shared/topology/index.ts";
import { engine } from "../../conformance/target.ts";
import {
  copyProject,
  type GeneratedRouters,
  type ProjectCopy,
  startGeneratedRouters,
} from "../../support/generated-routers.ts";
import { type ManagementTap, startManagementTap } from "../../support/management-tap.ts";

export const INTERIOR = "aws-eu-interior-1";
export const EDGE = "aws-eu-edge-1";
export const ROUTER_IDS = [INTERIOR, EDGE];

export const USERS = new Map([
  ["config-sync", "sync-secret"],
  ["sales-api", "sales-secret"],
  ["billing-worker", "billing-secret"],
  ["logistics-tracker", "logistics-secret"],
]);
export const SYNC_LOGIN = {
  mechanism: "PLAIN" as const,
  username: "config-sync",
  password: "sync-secret",
};

/** The engine the suite runs on: the emulator by default, a real router by MESH_TARGET. */
export const ENGINE = engine;

export interface SyncHarness {
  project: ProjectCopy;
  routers: GeneratedRouters;
  taps: Map<string, ManagementTap>;
  targets(): ManagementTarget[];
  /** All taps' write requests (CREATE, UPDATE, DELETE) with the router id. */
  writes(): Array<{ router: string; operation: string; name: string | undefined }>;
  /** All taps' requests of any kind. */
  requests(): number;
  resetTaps(): void;
  /**
   * Waits until every router has been up for over a second since it last started (here or
   * through `routers.restart`): one seen younger may have restarted since, as far as its
   * whole-second uptime tells (drift.ts mayHaveRestarted), and config-sync reads it in full.
   */
  upAWhile(): Promise<void>;
  /** One run over the project folder, with the routers' own config preparation. */
  sync(state: MemoryStateStore, options?: Partial<SyncRunOptions>): Promise<SyncReport>;
  /** Reads, edits and writes back a team document of the copy. */
  editTeam(team: string, edit: (doc: TeamDoc) => void): Promise<void>;
  /** Writes raw text into a registry file of the copy. */
  writeRegistryFile(name: string, text: string): Promise<void>;
  close(): Promise<void>;
}

export interface ChannelDoc {
  address: string;
  version?: number;
  distribution?: string;
  producers: string[];
  consumers: string[];
  schema?: Record<string, unknown>;
  [key: string]: unknown;
}
export interface TeamDoc {
  team: string;
  principals: string[];
  channels: ChannelDoc[];
  [key: string]: unknown;
}

export interface SyncHarnessOptions {
  /** The project to start from (default: a copy of the example). */
  project?: ProjectCopy;
  /** The flavour on the emulator (real routers have their own). */
  flavour?: RouterFlavour;
}

export async function startSyncHarness(options: SyncHarnessOptions = {}): Promise<SyncHarness> {
  const project = options.project ?? (await copyProject("examples"));
  const routers = await startGeneratedRouters(project.dir, {
    engine: ENGINE ?? "emulator",
    users: USERS,
    managementPrincipals: ["config-sync"],
    only: ROUTER_IDS,
    ...(options.flavour === undefined ? {} : { flavour: options.flavour }),
  });
  let lastStart = performance.now();
  const restart = routers.restart.bind(routers);
  routers.restart = async (...args: Parameters<typeof restart>) => {
    await restart(...args);
    lastStart = performance.now();
  };
  const upAWhile = () =>
    new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, 1_100 - (performance.now() - lastStart))),
    ).then(() => undefined);
  const taps = new Map<string, ManagementTap>();
  for (const id of ROUTER_IDS) taps.set(id, await startManagementTap(routers.url(id)));
  // The suites count what a router that has been up a while costs.
  await upAWhile();
  const teamFile = (team: string) => join(project.dir, "registry", `${team}.yaml`);
  return {
    project,
    routers,
    taps,
    targets: () => ROUTER_IDS.map((id) => ({ url: taps.get(id)!.url, sasl: SYNC_LOGIN })),
    writes: () =>
      ROUTER_IDS.flatMap((id) =>
        taps
          .get(id)!
          .writes()
          .map((r) => ({ router: id, operation: r.operation, name: r.name })),
      ),
    requests: () => ROUTER_IDS.reduce((n, id) => n + taps.get(id)!.requests.length, 0),
    resetTaps: () => {
      for (const tap of taps.values()) tap.reset();
    },
    upAWhile,
    sync: (state, options = {}) =>
      runSync({
        source: new DirectorySource(project.dir),
        routers: ROUTER_IDS.map((id) => ({ url: taps.get(id)!.url, sasl: SYNC_LOGIN })),
        state,
        prepareConfig: routers.prepareConfig,
        open: { timeoutMs: 5_000, connectTimeoutMs: 3_000 },
        ...options,
      }),
    async editTeam(team, edit) {
      const doc = parse(await readFile(teamFile(team), "utf8")) as TeamDoc;
      edit(doc);
      await writeFile(teamFile(team), stringify(doc));
    },
    async writeRegistryFile(name, text) {
      await writeFile(join(project.dir, "registry", name), text);
    },
    async close() {
      for (const tap of taps.values()) await tap.close();
      await routers.stop();
      await project.cleanup();
    },
  };
}

/** A new channel like sales/orders, produced by sales and consumed by logistics. */
export function returnsChannel(address = "sales/returns"): ChannelDoc {
  return {
    address,
    description: "Returned orders.",
    distribution: "balanced",
    delivery: "at-least-once",
    producers: ["sales"],
    consumers: ["logistics"],
  };
}

/** Puts the example's registry back in the harness's project, as it was copied. */
export async function restoreExampleRegistry(h: SyncHarness): Promise<void> {
  await rm(join(h.project.dir, "registry"), { recursive: true, force: true });
  await cp("examples/registry", join(h.project.dir, "registry"), { recursive: true });
}

/** What a failed run says of each router: the message an `outcome` assertion fails with. */
export function routerErrors(report: SyncReport): string {
  const failed = report.routers.filter((r) => r.status === "failed");
  const registry = report.registry.accepted
    ? ""
    : `registry refused: ${report.registry.problems.join("; ")}; `;
  return `${registry}${failed.map((r) => `${r.url}: ${r.error}`).join("; ") || "no router failed"}`;
}
