/**
 * HTTP ingress throughput and latency (autocannon) through the local adapter, publishing
 * at-least-once to an emulated router with a consumer, against a bare node:http server
 * answering 202 in the same run:
 *
 *   node test/bench/ingress.bench.ts [seconds per run] [rounds] [connections, e.g. 64,256]
 *
 * Processes: this one runs autocannon; one child holds both servers (loaded one at a time);
 * another holds the router and the consumer (INGRESS_BENCH_ROUTER=qdrouterd|skrouterd: a
 * real router process instead of the emulator). Rounds alternate the order; medians are taken.
 * Each server's peak is its best median over the connection counts: the ingress waits for
 * a round trip through the router and needs more requests in flight than the bare server
 * to reach its peak (both are shown at every count). Then both are loaded at half the
 * ingress's peak rate, with the connections of that peak, for the latency goal.
 * Goals: ingress ≥ 0.5× the bare server's requests/s; p99 ≤ 10 ms at half the peak rate.
 *
 * Where the time goes: the CPU time each process spent per answered request (autocannon,
 * the servers, the router with the consumer), and the load average. On a machine of few
 * cores every process competes for them, the ingress's run with one process more.
 */
import { type ChildProcess, fork } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const SECONDS = Number(process.argv[2] ?? 5);
const ROUNDS = Number(process.argv[3] ?? 3);
const CONNECTION_COUNTS = (process.argv[4] ?? "64,256").split(",").map(Number);
const ORDER = JSON.stringify({
  orderId: "ord-1",
  customerId: "c-1",
  currency: "EUR",
  lines: [{ sku: "sku-1", quantity: 2 }],
});

function child<T>(file: string, args: string[] = []): Promise<{ process: ChildProcess; ready: T }> {
  const proc = fork(fileURLToPath(new URL(file, import.meta.url)), args, {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve) =>
    proc.once("message", (m) => resolve({ process: proc, ready: m as T })),
  );
}

const routerChild = await child<{ url: string; router: string }>("./ingress-router.ts");
const serversChild = await child<{ ingressUrl: string; bareUrl: string; apiKey: string }>(
  "./ingress-server.ts",
  [routerChild.ready.url],
);
const { ingressUrl, bareUrl, apiKey } = serversChild.ready;
const loadAtStart = loadavg();

/** Sends `message` to a child and resolves with the first answer carrying `key`. */
function ask<T>(proc: ChildProcess, message: object, key: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown) => {
      if (typeof m === "object" && m !== null && key in m) {
        proc.off("message", onMessage);
        resolve((m as Record<string, T>)[key] as T);
      }
    };
    proc.on("message", onMessage);
    proc.send(message);
  });
}

type CpuTimes = { load: number; servers: number; router: number };

async function cpuNow(): Promise<CpuTimes> {
  const ms = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
  const [servers, router] = await Promise.all([
    ask<NodeJS.CpuUsage>(serversChild.process, { cpu: true }, "cpu"),
    ask<NodeJS.CpuUsage>(routerChild.process, { cpu: true }, "cpu"),
  ]);
  return { load: ms(process.cpuUsage()), servers: ms(servers), router: ms(router) };
}

interface Run {
  rate: number;
  p50: number;
  p99: number;
  non2xx: number;
  ok: number;
  /** CPU µs per answered request, per process. */
  cpu: CpuTimes;
}

async function load(base: string, connections: number, overallRate?: number): Promise<Run> {
  const before = await cpuNow();
  const result = await autocannon({
    url: `${base}/channels/sales%2Forders/messages`,
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": apiKey },
    body: ORDER,
    connections,
    duration: SECONDS,
    ...(overallRate === undefined ? {} : { overallRate }),
  });
  const after = await cpuNow();
  const answered = Math.max(1, result.requests.total);
  const perRequest = (k: keyof CpuTimes) => ((after[k] - before[k]) * 1000) / answered;
  return {
    rate: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors,
    ok: result["2xx"],
    cpu: { load: perRequest("load"), servers: perRequest("servers"), router: perRequest("router") },
  };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

// Warm-up (JIT, connections, sender links), not counted in the figures.
const warmUp = await load(ingressUrl, CONNECTION_COUNTS[0] ?? 64);
await load(bareUrl, CONNECTION_COUNTS[0] ?? 64);
const runs = new Map(
  CONNECTION_COUNTS.map((c) => [c, { ingress: [] as Run[], bare: [] as Run[] }]),
);
for (let round = 0; round < ROUNDS; round++) {
  for (const [connections, r] of runs) {
    if (round % 2 === 0) {
      r.ingress.push(await load(ingressUrl, connections));
      r.bare.push(await load(bareUrl, connections));
    } else {
      r.bare.push(await load(bareUrl, connections));
      r.ingress.push(await load(ingressUrl, connections));
    }
  }
}
/** The connection count whose median rate is the highest, with its runs. */
function best(which: "ingress" | "bare"): { connections: number; runs: Run[]; rate: number } {
  let top = { connections: 0, runs: [] as Run[], rate: -1 };
  for (const [connections, r] of runs) {
    const rate = median(r[which].map((x) => x.rate));
    if (rate > top.rate) top = { connections, runs: r[which], rate };
  }
  return top;
}
const ingressBest = best("ingress");
const bareBest = best("bare");
const peak = ingressBest.rate;
const barePeak = bareBest.rate;
const ingressRuns = ingressBest.runs;
const bareRuns = bareBest.runs;
const half = Math.max(1, Math.round(peak / 2));
const ingressHalf = await load(ingressUrl, ingressBest.connections, half);
const bareHalf = await load(bareUrl, ingressBest.connections, half);

const received = await ask<number>(routerChild.process, { count: true }, "received");
const loadAtEnd = loadavg();
const all = [warmUp, ...[...runs.values()].flatMap((r) => r.ingress), ingressHalf];
const accepted = all.reduce((sum, r) => sum + r.ok, 0);
const refused = all.reduce((sum, r) => sum + r.non2xx, 0);
serversChild.process.send({ stop: true });
routerChild.process.send({ stop: true });

const f = (n: number): string => Math.round(n).toLocaleString("en-US");
const ms = (n: number): string => `${n.toFixed(1)} ms`;
const ratio = peak / barePeak;
for (const [connections, r] of runs)
  console.log(
    `${connections} connections (${SECONDS} s × ${ROUNDS}, median): ingress ${f(median(r.ingress.map((x) => x.rate)))} req/s ` +
      `(p99 ${ms(median(r.ingress.map((x) => x.p99)))}), bare ${f(median(r.bare.map((x) => x.rate)))} req/s ` +
      `(p99 ${ms(median(r.bare.map((x) => x.p99)))})`,
  );
console.log(
  `peak: ingress ${f(peak)} req/s with ${ingressBest.connections} connections ` +
    `(p50 ${ms(median(ingressRuns.map((r) => r.p50)))}, p99 ${ms(median(ingressRuns.map((r) => r.p99)))}), ` +
    `bare node:http ${f(barePeak)} req/s with ${bareBest.connections} (p50 ${ms(median(bareRuns.map((r) => r.p50)))}, p99 ${ms(median(bareRuns.map((r) => r.p99)))}); ` +
    `ratio ${ratio.toFixed(2)}× (goal ≥ 0.5×: ${ratio >= 0.5 ? "met" : "missed"})`,
);
console.log(
  `at half the ingress peak (${f(half)} req/s, ${ingressBest.connections} connections): ingress p50 ${ms(ingressHalf.p50)}, p99 ${ms(ingressHalf.p99)} ` +
    `(goal p99 ≤ 10 ms: ${ingressHalf.p99 <= 10 ? "met" : "missed"}); bare p50 ${ms(bareHalf.p50)}, p99 ${ms(bareHalf.p99)}`,
);
const us = (runs: Run[], k: keyof CpuTimes): string =>
  `${Math.round(median(runs.map((r) => r.cpu[k])))}`;
const cpuLine = (runs: Run[]): string =>
  `autocannon ${us(runs, "load")}, servers ${us(runs, "servers")}, router + consumer ${us(runs, "router")}`;
console.log(
  `CPU µs per request at peak (median): ingress run: ${cpuLine(ingressRuns)}; bare run: ${cpuLine(bareRuns)}`,
);
console.log(
  `router: ${routerChild.ready.router}${routerChild.ready.router === "emulator" ? " (in the consumer's process; INGRESS_BENCH_ROUTER=qdrouterd for a real one, its CPU not counted)" : " (its own process, CPU not counted above)"}; ` +
    `machine: ${cpus().length} cores; load average ${loadAtStart.map((l) => l.toFixed(1)).join(" ")} at start, ` +
    `${loadAtEnd.map((l) => l.toFixed(1)).join(" ")} at end (other work on the machine competes for the cores)`,
);
console.log(
  `ingress answered 202 ${f(accepted)} times (${f(refused)} other answers or errors); the consumer received ${f(received)} ` +
    `messages (${received >= accepted ? "every accepted one, duplicates allowed" : "FEWER than accepted"})`,
);
