/**
 * HTTP ingress throughput and latency (autocannon) through the local adapter, publishing
 * at-least-once to a router with a consumer, against two baselines in the same run: a
 * minimal HTTP→AMQP proxy on the same router (node:http + raw rhea, 202 on `accepted`, no
 * checks: the limit of the ingress's architecture) and a bare node:http server answering 202.
 *
 *   node test/bench/ingress.bench.ts [seconds per run] [rounds] [connections, e.g. 16,64,256]
 *
 * Processes: this one runs autocannon; one child holds the three servers (loaded one at a
 * time); another holds the router and the consumer (INGRESS_BENCH_ROUTER=qdrouterd|skrouterd:
 * a real router process instead of the emulator). Rounds alternate the order; medians are
 * taken. Each server's peak is its best median over the connection counts.
 *
 * Goals (issue 19): at peak, the ingress ≥ 0.9× the proxy's requests/s and ≤ 1.25× its CPU
 * per request (≥ 0.5× bare node:http is the stretch); at a fixed 1,000 requests/s over 16
 * connections, the ingress's p99 ≤ 10 ms and its p50 within 1 ms of the proxy's; one request
 * at a time (what a Lambda instance does), the ingress adds ≤ 0.5 ms to the proxy's p50.
 *
 * Where the time goes: the CPU time each process spent per answered request (autocannon,
 * the servers, the router with the consumer), and the load average.
 */
import { type ChildProcess, fork } from "node:child_process";
import { Agent, request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { type Figure, recordResults } from "./results.ts";

const SECONDS = Number(process.argv[2] ?? 5);
const ROUNDS = Number(process.argv[3] ?? 3);
const CONNECTION_COUNTS = (process.argv[4] ?? "16,64,256").split(",").map(Number);
/** The fixed-rate latency goal's load. */
const FIXED_RATE = 1_000;
const FIXED_CONNECTIONS = 16;
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
const serversChild = await child<{
  ingressUrl: string;
  proxyUrl: string;
  bareUrl: string;
  apiKey: string;
}>("./ingress-server.ts", [routerChild.ready.url]);
const { ingressUrl, proxyUrl, bareUrl, apiKey } = serversChild.ready;

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

async function load(
  base: string,
  connections: number,
  overallRate?: number,
  amount?: number,
): Promise<Run> {
  const before = await cpuNow();
  const result = await autocannon({
    url: `${base}/channels/sales%2Forders/messages`,
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": apiKey },
    body: ORDER,
    connections,
    ...(amount === undefined ? { duration: SECONDS } : { amount }),
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

interface Latency {
  p50: number;
  p99: number;
}

/**
 * One request at a time over one kept-alive connection, as a Lambda instance sends them:
 * latencies in µs resolution (autocannon's are whole milliseconds, too coarse for ≤ 0.5 ms).
 */
async function oneAtATime(base: string, amount: number): Promise<Latency> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(`${base}/channels/sales%2Forders/messages`);
  const once = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const start = process.hrtime.bigint();
      const request = httpRequest(
        url,
        {
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            "x-api-key": apiKey,
            "content-length": Buffer.byteLength(ORDER),
          },
        },
        (response) => {
          response.resume();
          response.on("end", () => {
            if (response.statusCode !== 202) reject(new Error(`${base}: ${response.statusCode}`));
            else resolve(Number(process.hrtime.bigint() - start) / 1e6);
          });
        },
      );
      request.on("error", reject);
      request.end(ORDER);
    });
  const latencies: number[] = [];
  for (let i = 0; i < amount; i++) latencies.push(await once());
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99) };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

type Server = "ingress" | "proxy" | "bare";
const SERVERS: Record<Server, string> = { ingress: ingressUrl, proxy: proxyUrl, bare: bareUrl };

// Warm-up (JIT, connections, sender links), not counted in the figures.
const warmUp = await load(ingressUrl, CONNECTION_COUNTS[0] ?? 64);
await load(proxyUrl, CONNECTION_COUNTS[0] ?? 64);
await load(bareUrl, CONNECTION_COUNTS[0] ?? 64);
const runs = new Map(
  CONNECTION_COUNTS.map((c) => [
    c,
    { ingress: [] as Run[], proxy: [] as Run[], bare: [] as Run[] },
  ]),
);
const orders: Server[][] = [
  ["ingress", "proxy", "bare"],
  ["bare", "proxy", "ingress"],
  ["proxy", "ingress", "bare"],
];
for (let round = 0; round < ROUNDS; round++)
  for (const [connections, r] of runs)
    for (const server of orders[round % orders.length] as Server[])
      r[server].push(await load(SERVERS[server], connections));

/** The connection count whose median rate is the highest, with its runs. */
function best(which: Server): { connections: number; runs: Run[]; rate: number } {
  let top = { connections: 0, runs: [] as Run[], rate: -1 };
  for (const [connections, r] of runs) {
    const rate = median(r[which].map((x) => x.rate));
    if (rate > top.rate) top = { connections, runs: r[which], rate };
  }
  return top;
}
const peaks = { ingress: best("ingress"), proxy: best("proxy"), bare: best("bare") };
const serverCpu = (runs: Run[]): number => median(runs.map((r) => r.cpu.servers));

// Latency where it means something: a fixed rate the machine carries, and one at a time.
const fixed: Record<Server, Run[]> = { ingress: [], proxy: [], bare: [] };
const single: Record<Server, Latency[]> = { ingress: [], proxy: [], bare: [] };
const singleAmount = Math.max(500, 200 * SECONDS);
for (let round = 0; round < ROUNDS; round++)
  for (const server of orders[round % orders.length] as Server[]) {
    fixed[server].push(await load(SERVERS[server], FIXED_CONNECTIONS, FIXED_RATE));
    single[server].push(await oneAtATime(SERVERS[server], singleAmount));
  }
const p = (runs: Latency[], k: "p50" | "p99"): number => median(runs.map((r) => r[k]));

const received = await ask<number>(routerChild.process, { count: true }, "received");
const all = [warmUp, ...[...runs.values()].flatMap((r) => r.ingress), ...fixed.ingress];
const accepted = all.reduce((sum, r) => sum + r.ok, 0);
const refused = all.reduce((sum, r) => sum + r.non2xx, 0);
serversChild.process.send({ stop: true });
routerChild.process.send({ stop: true });

const f = (n: number): string => Math.round(n).toLocaleString("en-US");
const ms = (n: number): string => `${n.toFixed(2)} ms`;
for (const [connections, r] of runs)
  console.log(
    `${connections} connections (${SECONDS} s × ${ROUNDS}, median): ` +
      (["ingress", "proxy", "bare"] as Server[])
        .map((s) => `${s} ${f(median(r[s].map((x) => x.rate)))} req/s (p99 ${ms(p(r[s], "p99"))})`)
        .join(", "),
  );
const router = routerChild.ready.router;
const figures: Figure[] = [
  {
    what: `peak requests/s (${router}), ingress vs minimal HTTP→AMQP proxy`,
    value: peaks.ingress.rate / peaks.proxy.rate,
    unit: "×",
    baseline: `ingress ${f(peaks.ingress.rate)} req/s (${peaks.ingress.connections} connections), proxy ${f(peaks.proxy.rate)} (${peaks.proxy.connections})`,
    goal: { op: ">=", value: 0.9 },
  },
  {
    what: `server CPU per request at peak (${router}), ingress vs proxy`,
    value: serverCpu(peaks.ingress.runs) / serverCpu(peaks.proxy.runs),
    unit: "×",
    baseline: `ingress ${f(serverCpu(peaks.ingress.runs))} µs, proxy ${f(serverCpu(peaks.proxy.runs))} µs, bare ${f(serverCpu(peaks.bare.runs))} µs`,
    goal: { op: "<=", value: 1.25 },
  },
  {
    what: `peak requests/s (${router}), ingress vs bare node:http (stretch)`,
    value: peaks.ingress.rate / peaks.bare.rate,
    unit: "×",
    baseline: `bare node:http ${f(peaks.bare.rate)} req/s (${peaks.bare.connections} connections)`,
    goal: { op: ">=", value: 0.5 },
  },
  {
    what: `ingress p99 at ${f(FIXED_RATE)} req/s over ${FIXED_CONNECTIONS} connections (${router})`,
    value: p(fixed.ingress, "p99"),
    unit: "ms",
    baseline: `proxy p99 ${ms(p(fixed.proxy, "p99"))}, bare ${ms(p(fixed.bare, "p99"))}`,
    goal: { op: "<=", value: 10 },
  },
  {
    what: `ingress p50 minus proxy p50 at ${f(FIXED_RATE)} req/s over ${FIXED_CONNECTIONS} connections (${router})`,
    value: p(fixed.ingress, "p50") - p(fixed.proxy, "p50"),
    unit: "ms",
    baseline: `ingress p50 ${ms(p(fixed.ingress, "p50"))}, proxy ${ms(p(fixed.proxy, "p50"))}`,
    goal: { op: "<=", value: 1 },
  },
  {
    what: `one request at a time (${router}): ingress p50 minus proxy p50`,
    value: p(single.ingress, "p50") - p(single.proxy, "p50"),
    unit: "ms",
    baseline: `ingress p50 ${ms(p(single.ingress, "p50"))} (p99 ${ms(p(single.ingress, "p99"))}), proxy ${ms(p(single.proxy, "p50"))}, bare ${ms(p(single.bare, "p50"))}`,
    goal: { op: "<=", value: 0.5 },
  },
];
for (const figure of figures)
  console.log(
    `${figure.what}: ${figure.value.toFixed(2)}${figure.unit === "×" ? "×" : ` ${figure.unit}`} (${figure.baseline})`,
  );
const us = (runs: Run[], k: keyof CpuTimes): string =>
  `${Math.round(median(runs.map((r) => r.cpu[k])))}`;
const cpuLine = (runs: Run[]): string =>
  `autocannon ${us(runs, "load")}, servers ${us(runs, "servers")}, router + consumer ${us(runs, "router")}`;
console.log(
  `CPU µs per request at peak (median): ingress run: ${cpuLine(peaks.ingress.runs)}; proxy run: ${cpuLine(peaks.proxy.runs)}; bare run: ${cpuLine(peaks.bare.runs)}`,
);
console.log(
  `ingress answered 202 ${f(accepted)} times (${f(refused)} other answers or errors); the consumer received ${f(received)} ` +
    `messages (${received >= accepted ? "every accepted one, duplicates allowed" : "FEWER than accepted"})`,
);
await recordResults({
  bench: router === "emulator" ? "ingress" : `ingress-${router}`,
  setup: [
    `router: ${router}${router === "emulator" ? " (in the consumer's process)" : " (its own process, its CPU not counted)"}; ${SECONDS} s per run, median of ${ROUNDS} rounds, the servers' order rotated per round`,
    `connections ${CONNECTION_COUNTS.join(", ")}; fixed rate ${FIXED_RATE} req/s over ${FIXED_CONNECTIONS} connections (autocannon: whole ms); one at a time: ${singleAmount} requests over 1 kept-alive connection (µs clock)`,
    `the ingress answered 202 ${f(accepted)} times, ${f(refused)} other answers; the consumer received ${f(received)}`,
  ],
  figures,
  plots: [
    {
      id: "connections",
      title: `requests/s against connections (${router})`,
      xLabel: "connections",
      yLabel: "requests/s",
      xScale: "log",
      series: (["ingress", "proxy", "bare"] as Server[]).map((s) => ({
        name: s === "bare" ? "bare node:http" : s,
        points: [...runs].map(([c, r]) => [c, median(r[s].map((x) => x.rate))] as [number, number]),
      })),
    },
  ],
});
