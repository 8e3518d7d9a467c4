/**
 * Config-sync on a 1,000-channel registry, against one interior started from the project's
 * generated config without those channels (the emulator; a real router with
 * BENCH_ENGINE=qdrouterd|skrouterd):
 *
 *   node test/bench/sync.bench.ts [rounds] [channels]
 *
 * Per round, on a freshly started router: a full apply (every channel's address and the
 * vhost), then a one-channel change (one more channel). Requests are counted on the wire by
 * a tap in front of the router. Reported: write operations against the size of the
 * difference (computed here from the configs), and times — of the whole run (registry read
 * and validated, then the router synced) and of the router part alone (QUERY, plan, apply).
 * Goals: operations = the difference exactly; a one-channel change ≤ 5% of a full apply.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { openManagement } from "../../shared/management/index.ts";
import { validateProject } from "../../shared/registry/index.ts";
import { generateRouterConfigs } from "../../shared/router-config/index.ts";
import {
  applySyncPlan,
  DirectorySource,
  MemoryStateStore,
  planSync,
  readActualState,
  readRouterIdentity,
  runSync,
} from "../../shared/sync/index.ts";
import { type Engine, startGeneratedRouters } from "../support/generated-routers.ts";
import { startManagementTap } from "../support/management-tap.ts";

const ROUNDS = Number(process.argv[2] ?? 3);
const CHANNELS = Number(process.argv[3] ?? 1_000);
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

function channel(i: number) {
  return {
    address: `bench/channel-${String(i).padStart(5, "0")}`,
    description: "A benchmark channel.",
    distribution: i % 3 === 0 ? "multicast" : "balanced",
    // The router settles multicast itself: at-most-once, as the registry requires.
    delivery: i % 3 === 0 ? "at-most-once" : "at-least-once",
    producers: [`team-${i % 10}`],
    consumers: [`team-${(i + 1) % 10}`],
  };
}

async function writeProject(dir: string, channels: number, clientPort: number): Promise<void> {
  await mkdir(join(dir, "registry"), { recursive: true });
  const withPort = {
    ...topology,
    routers: [{ ...topology.routers[0]!, listeners: { clients: { port: clientPort } } }],
  };
  await writeFile(join(dir, "topology.yaml"), stringify(withPort));
  for (let team = 0; team < 10; team++) {
    const own = Array.from({ length: channels }, (_, i) => i).filter((i) => i % 10 === team);
    await writeFile(
      join(dir, "registry", `team-${team}.yaml`),
      stringify({ team: `team-${team}`, principals: [`svc-${team}`], channels: own.map(channel) }),
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

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Round {
  fullMs: number;
  fullRouterMs: number;
  oneMs: number;
  oneRouterMs: number;
  fullWrites: number;
  fullDifference: number;
  oneWrites: number;
  oneDifference: number;
}

async function round(): Promise<Round> {
  const base = await mkdtemp(join(tmpdir(), "amqp-mesh-sync-bench-"));
  const empty = join(base, "empty");
  const full = join(base, "full");
  const plusOne = join(base, "plus-one");
  try {
    // The router's port must be known before its config is generated: bind one, free it.
    const { createServer } = await import("node:net");
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await writeProject(empty, 0, port);
    await writeProject(full, CHANNELS, port);
    await writeProject(plusOne, CHANNELS + 1, port);
    const routers = await startGeneratedRouters(empty, {
      engine: ENGINE,
      users,
      managementPrincipals: ["config-sync"],
    });
    const tap = await startManagementTap(routers.url(ROUTER));
    try {
      const fullDifference = await differenceSize(full, empty);
      const oneDifference = await differenceSize(plusOne, full);
      const state = new MemoryStateStore();
      const sync = async (dir: string) => {
        tap.reset();
        const started = performance.now();
        const report = await runSync({
          source: new DirectorySource(dir),
          routers: [{ url: tap.url, sasl: login }],
          state,
          prepareConfig: routers.prepareConfig,
        });
        if (report.outcome !== "ok")
          throw new Error(
            `sync of ${dir}: ${report.outcome} ${report.registry.problems.join("; ")}`,
          );
        return { ms: performance.now() - started, writes: tap.writes().length };
      };
      /** The router part alone: identity, QUERY, plan, apply — what grows with the difference. */
      const routerPart = async (dir: string, apply: boolean) => {
        const project = await validateProject(dir);
        const desired = routers.prepareConfig(
          generateRouterConfigs(project.registry!, project.topology!, {
            managementPrincipals: ["config-sync"],
          }).configs[0]!,
        );
        const session = await openManagement(
          { url: routers.url(ROUTER), sasl: login },
          process.env.BENCH_TRACE === "1"
            ? {
                onOperation: (e) =>
                  console.log(`    ${e.operation} ${e.entityType} ${e.durationMs} ms`),
              }
            : {},
        );
        try {
          const started = performance.now();
          const identity = await readRouterIdentity(session.management);
          const plan = planSync(desired, await readActualState(session.management, identity));
          if (apply) await applySyncPlan(session.management, plan);
          return performance.now() - started;
        } finally {
          await session.close();
        }
      };
      const fullRun = await sync(full);
      const oneRun = await sync(plusOne);
      // The router parts, timed on their own: back to the full registry's state, then again.
      await routers.restart(ROUTER);
      const fullRouterMs = await routerPart(full, true);
      const oneRouterMs = await routerPart(plusOne, true);
      return {
        fullMs: fullRun.ms,
        fullRouterMs,
        oneMs: oneRun.ms,
        oneRouterMs,
        fullWrites: fullRun.writes,
        fullDifference,
        oneWrites: oneRun.writes,
        oneDifference,
      };
    } finally {
      await tap.close();
      await routers.stop();
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

console.log(`config-sync: ${CHANNELS} channels on one ${ENGINE} interior, ${ROUNDS} rounds`);
const rounds: Round[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const r = await round();
  rounds.push(r);
  console.log(
    `  round ${i + 1}: full ${r.fullMs.toFixed(0)} ms (router part ${r.fullRouterMs.toFixed(0)} ms, ${r.fullWrites} writes for a difference of ${r.fullDifference}); ` +
      `one channel ${r.oneMs.toFixed(0)} ms (router part ${r.oneRouterMs.toFixed(1)} ms, ${r.oneWrites} writes for ${r.oneDifference})`,
  );
}
const exact = rounds.every(
  (r) => r.fullWrites === r.fullDifference && r.oneWrites === r.oneDifference,
);
const ratio = median(rounds.map((r) => r.oneMs)) / median(rounds.map((r) => r.fullMs));
const routerRatio =
  median(rounds.map((r) => r.oneRouterMs)) / median(rounds.map((r) => r.fullRouterMs));
console.log(`operations = difference: ${exact ? "yes" : "NO"} (goal: exactly)`);
console.log(
  `one-channel change / full apply, whole run (read + validate + sync): ${(ratio * 100).toFixed(1)}%`,
);
console.log(
  `one-channel change / full apply, router part (QUERY + plan + apply): ${(routerRatio * 100).toFixed(1)}% (goal ≤ 5%: ${routerRatio <= 0.05 ? "met" : "NOT met"})`,
);
process.exit(exact ? 0 : 1);
