/**
 * Config-sync on a 1,000-channel registry, against one interior started from the project's
 * generated config without those channels (the emulator; a real router with
 * BENCH_ENGINE=qdrouterd|skrouterd):
 *
 *   node test/bench/sync.bench.ts [rounds] [channels] [teams]
 *
 * What a user sees, whole runs of runSync (registry read from its folder, validated, gated,
 * generated, the router synced, the state written to its file), all in this one process as in a warm
 * function: the module caches (validated files, payload schemas, generated configs) carry
 * over from run to run, and the two runs of a round share one management session pool, as
 * a warm function keeps its sessions open. Per round, on a freshly started router:
 *
 * - full apply: a registry this process has not seen (its channels' descriptions name the
 *   round, so no file is in the caches yet) onto the router without its channels;
 * - one-channel change: then the next upload, one channel more (an event run);
 * - and, for comparison, the full apply of a registry the process knows: the router
 *   restarted, a scheduled run (fresh session: the old one died with the router).
 *
 * Requests are counted on the wire by a tap in front of the router: writes against the size
 * of the difference (computed here from the configs), reads by type. Goals: operations = the
 * difference exactly; a one-channel change ≤ 5% of a full apply (medians, same run).
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { ManagementPool } from "../../shared/management/index.ts";
import { validateProject } from "../../shared/registry/index.ts";
import { generateRouterConfigs } from "../../shared/router-config/index.ts";
import { DirectorySource, FileStateStore, runSync } from "../../shared/sync/index.ts";
import { type Engine, startGeneratedRouters } from "../support/generated-routers.ts";
import { type ManagementTap, startManagementTap } from "../support/management-tap.ts";
import { recordResults } from "./results.ts";

const ROUNDS = Number(process.argv[2] ?? 3);
const CHANNELS = Number(process.argv[3] ?? 1_000);
const TEAMS = Number(process.argv[4] ?? 10);
const ENGINE = (process.env.BENCH_ENGINE ?? "emulator") as Engine;
const ROUTER = "bench-interior";
const users = new Map([["config-sync", "bench-secret"]]);
const login = { mechanism: "PLAIN" as const, username: "config-sync", password: "bench-secret" };

const topology = {
  flavour: "qpid-dispatch",
  sasl: { configDir: "/etc/amqp-mesh/sasl", database: "/etc/amqp-mesh/sasl/users.sasldb" },
  environments: [{ name: "bench", cloud: "local", region: "local" }],
  routers: [
    {
      id: ROUTER,
      environment: "bench",
      mode: "interior",
      host: "127.0.0.1",
      listeners: { clients: { port: 0 } },
    },
  ],
};

function channel(i: number, round: number) {
  return {
    address: `bench/channel-${String(i).padStart(5, "0")}`,
    description: `A benchmark channel (round ${round}).`,
    distribution: i % 3 === 0 ? "multicast" : "balanced",
    // The router settles multicast itself: at-most-once, as the registry requires.
    delivery: i % 3 === 0 ? "at-most-once" : "at-least-once",
    producers: [`team-${i % TEAMS}`],
    consumers: [`team-${(i + 1) % TEAMS}`],
  };
}

async function writeProject(
  dir: string,
  channels: number,
  clientPort: number,
  round: number,
): Promise<void> {
  await mkdir(join(dir, "registry"), { recursive: true });
  const withPort = {
    ...topology,
    routers: [{ ...topology.routers[0]!, listeners: { clients: { port: clientPort } } }],
  };
  await writeFile(join(dir, "topology.yaml"), stringify(withPort));
  for (let team = 0; team < TEAMS; team++) {
    const own = Array.from({ length: channels }, (_, i) => i).filter((i) => i % TEAMS === team);
    await writeFile(
      join(dir, "registry", `team-${team}.yaml`),
      stringify({
        team: `team-${team}`,
        principals: [`svc-${team}`],
        channels: own.map((i) => channel(i, round)),
      }),
    );
  }
}

/** Entities of the router's desired config the router does not carry as desired: the difference. */
async function differenceSize(full: string, started: string): Promise<number> {
  const configOf = async (dir: string) => {
    const project = await validateProject(dir);
    return generateRouterConfigs(project.registry!, project.topology!, {
      managementPrincipals: ["config-sync"],
    }).configs[0]!;
  };
  const [want, have] = await Promise.all([configOf(full), configOf(started)]);
  const key = (e: { type: string; attributes: Record<string, unknown> }) =>
    `${e.type} ${JSON.stringify(e.attributes)}`;
  const present = new Set(have.entities.map(key));
  return want.entities.filter(
    (e) => !present.has(key(e)) && e.type !== "policy" && e.type !== "router",
  ).length;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Run {
  ms: number;
  writes: number;
  /** QUERYs by entity type, e.g. "address×2 router×1". */
  reads: string;
  basis: string;
}

interface Round {
  full: Run & { difference: number };
  one: Run & { difference: number };
  known: Run & { difference: number };
}

function readsOf(tap: ManagementTap): string {
  const counts = new Map<string, number>();
  for (const q of tap.operations("QUERY")) {
    const type = String(q.type).replace(/^.*\./, "");
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return [...counts]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([t, n]) => `${t}×${n}`)
    .join(" ");
}

async function round(index: number): Promise<Round> {
  const base = await mkdtemp(join(tmpdir(), "amqp-mesh-sync-bench-"));
  const empty = join(base, "empty");
  const full = join(base, "full");
  const plusOne = join(base, "plus-one");
  // The registry as its store holds it: the one place every run reads (the caches are kept
  // by source and content, so the upload of the one-channel change lands in the same place).
  const live = join(base, "live");
  try {
    // The router's port must be known before its config is generated: bind one, free it.
    const port = await freePort();
    await writeProject(empty, 0, port, index);
    await writeProject(full, CHANNELS, port, index);
    await writeProject(plusOne, CHANNELS + 1, port, index);
    const upload = (from: string) => cp(from, live, { recursive: true, force: true });
    const routers = await startGeneratedRouters(empty, {
      engine: ENGINE,
      users,
      managementPrincipals: ["config-sync"],
    });
    const tap = await startManagementTap(routers.url(ROUTER));
    try {
      const difference = {
        full: await differenceSize(full, empty),
        one: await differenceSize(plusOne, full),
        known: await differenceSize(plusOne, empty),
      };
      // The state as the CLI keeps it, a JSON file (the functions: an object next to the registry).
      const state = new FileStateStore(join(base, "sync-state.json"));
      const sync = async (
        pool: ManagementPool,
        options: { mode?: "schedule"; fullSyncIntervalMs?: number } = {},
      ): Promise<Run> => {
        tap.reset();
        const started = performance.now();
        const report = await runSync({
          source: new DirectorySource(live),
          routers: [{ url: tap.url, sasl: login }],
          state,
          pool,
          prepareConfig: routers.prepareConfig,
          ...options,
        });
        const ms = performance.now() - started;
        if (report.outcome !== "ok" || report.routers[0]?.status === "checked")
          throw new Error(
            `sync: ${report.outcome} ${report.routers[0]?.status} ${report.registry.problems.join("; ")}`,
          );
        return {
          ms,
          writes: tap.writes().length,
          reads: readsOf(tap),
          basis: report.routers[0]?.basis ?? "-",
        };
      };
      const warm = new ManagementPool({ timeoutMs: 30_000 });
      let fullRun: Run;
      let oneRun: Run;
      try {
        await upload(full);
        fullRun = await sync(warm);
        await upload(plusOne);
        oneRun = await sync(warm);
      } finally {
        await warm.close();
      }
      await routers.restart(ROUTER);
      const fresh = new ManagementPool({ timeoutMs: 30_000 });
      let knownRun: Run;
      try {
        knownRun = await sync(fresh, { mode: "schedule", fullSyncIntervalMs: 1 });
      } finally {
        await fresh.close();
      }
      return {
        full: { ...fullRun, difference: difference.full },
        one: { ...oneRun, difference: difference.one },
        known: { ...knownRun, difference: difference.known },
      };
    } finally {
      await tap.close();
      await routers.stop();
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

const describe = (r: Run & { difference: number }) =>
  `${r.ms.toFixed(1)} ms, ${r.writes} writes for a difference of ${r.difference}, reads ${r.reads} (${r.basis})`;

console.log(
  `config-sync: ${CHANNELS} channels in ${TEAMS} team files on one ${ENGINE} interior, ${ROUNDS} rounds, whole runs in one process`,
);
const rounds: Round[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const r = await round(i + 1);
  rounds.push(r);
  console.log(`  round ${i + 1}:`);
  console.log(`    full apply, new registry:       ${describe(r.full)}`);
  console.log(`    one-channel change (event):     ${describe(r.one)}`);
  console.log(`    full apply, known registry:     ${describe(r.known)}`);
}
const exact = rounds.every(
  (r) =>
    r.full.writes === r.full.difference &&
    r.one.writes === r.one.difference &&
    r.known.writes === r.known.difference,
);
const full = median(rounds.map((r) => r.full.ms));
const one = median(rounds.map((r) => r.one.ms));
const known = median(rounds.map((r) => r.known.ms));
const ratio = one / full;
console.log(`operations = difference: ${exact ? "yes" : "NO"} (goal: exactly)`);
console.log(
  `medians: full apply ${full.toFixed(1)} ms, one-channel change ${one.toFixed(1)} ms, full apply of a known registry ${known.toFixed(1)} ms`,
);
console.log(
  `one-channel change / full apply (whole runs): ${(ratio * 100).toFixed(1)}% (goal ≤ 5%: ${ratio <= 0.05 ? "met" : "NOT met"})`,
);
console.log(
  `one-channel change / full apply of a known registry: ${((one / known) * 100).toFixed(1)}%`,
);
await recordResults({
  bench: ENGINE === "emulator" ? "sync" : `sync-${ENGINE}`,
  setup: [
    `config-sync: ${CHANNELS} channels in ${TEAMS} team files on one ${ENGINE} interior, ${ROUNDS} rounds, whole runs in one process`,
  ],
  figures: [
    {
      what: "one-channel change vs full apply of a new registry (whole runs)",
      value: ratio * 100,
      unit: "%",
      baseline: `one-channel change ${one.toFixed(1)} ms, full apply ${full.toFixed(1)} ms, full apply of a known registry ${known.toFixed(1)} ms`,
      goal: { op: "<=", value: 5 },
    },
    {
      what: "management writes beyond the difference (every round, every kind of run)",
      value: rounds.reduce(
        (sum, r) =>
          sum +
          Math.abs(r.full.writes - r.full.difference) +
          Math.abs(r.one.writes - r.one.difference) +
          Math.abs(r.known.writes - r.known.difference),
        0,
      ),
      unit: "writes",
      baseline: "writes = the difference between desired and actual",
      goal: { op: "<=", value: 0 },
    },
  ],
});
process.exit(exact ? 0 : 1);
