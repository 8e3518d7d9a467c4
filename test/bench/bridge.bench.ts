/**
 * Bridge mode's throughput into a no-op function (in process: the bridge's batching, the
 * invocation's JSON both ways, the core's decoding and settling) against the shared client's
 * own consume with a no-op handler and the same credit window, through the same emulated
 * router, in the same run (interleaved rounds, median). Goal: bridge ≥ 0.8× consume.
 *
 *   node test/bench/bridge.bench.ts [messages] [rounds]     (npm run bench -- bridge)
 *
 * The router and the producer run in a child process (client-router.ts), so this process
 * spends its CPU on the consuming side only.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { MeshClient } from "../../shared/amqp/index.ts";
import type { RegistrySnapshot } from "../../shared/registry-snapshot/index.ts";
import { runtimeValidators } from "../../shared/registry-snapshot/index.ts";
import {
  ChannelBridge,
  channelCatalog,
  channelPublisher,
  defineChannelHandler,
  inProcessInvoker,
} from "../../shared/trigger/index.ts";
import { recordResults } from "./results.ts";

const MESSAGES = Number(process.argv[2] ?? 5_000);
const ROUNDS = Number(process.argv[3] ?? 7);
const CONCURRENCY = 4;
const BATCH = 50;
const PREFETCH = CONCURRENCY * BATCH;

const child: ChildProcess = fork(fileURLToPath(new URL("./client-router.ts", import.meta.url)), {
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const url = await new Promise<string>((resolve) =>
  child.once("message", (m) => resolve((m as { url: string }).url)),
);

function produceIn(address: string, count: number): Promise<void> {
  child.send({ produce: address, count });
  return new Promise((resolve) => {
    const onMessage = (m: unknown): void => {
      if ((m as { produced?: string }).produced === address) {
        child.off("message", onMessage);
        resolve();
      }
    };
    child.on("message", onMessage);
  });
}

const address = (kind: string, round: number) => `bench/${kind}-${round}`;
const snapshot: RegistrySnapshot = {
  format: 1,
  digest: "bench",
  teams: [{ team: "bench", principals: [] }],
  channels: Array.from({ length: ROUNDS + 1 }, (_, round) => ({
    address: address("bridge", round),
    owner: "bench",
    delivery: "at-least-once" as const,
    maxMessageSize: 1_048_576,
    producers: [],
  })),
};
const catalog = channelCatalog(snapshot, runtimeValidators());

async function consume(round: number): Promise<number> {
  const where = address("consume", round);
  const client = new MeshClient({ urls: [url] });
  let received = 0;
  let started = 0n;
  let finish = (): void => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const consumer = client.consume(
    where,
    () => {
      if (received === 0) started = process.hrtime.bigint();
      if (++received === MESSAGES) finish();
    },
    { prefetch: PREFETCH, concurrency: PREFETCH },
  );
  await consumer.ready();
  await produceIn(where, MESSAGES);
  await done;
  const rate = MESSAGES / (Number(process.hrtime.bigint() - started) / 1e9);
  await client.close();
  return rate;
}

async function bridge(round: number): Promise<number> {
  const where = address("bridge", round);
  const client = new MeshClient({ urls: [url] });
  let received = 0;
  let started = 0n;
  let finish = (): void => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const definition = defineChannelHandler({
    channel: where,
    handler(batch) {
      if (received === 0) started = process.hrtime.bigint();
      received += batch.length;
      if (received >= MESSAGES) setImmediate(finish);
    },
  });
  const b = new ChannelBridge({
    client,
    channel: where,
    invoker: inProcessInvoker(definition, {
      catalog,
      publish: channelPublisher(client, catalog),
      log: () => {},
    }),
    batchSize: BATCH,
    concurrency: CONCURRENCY,
    maxWaitMs: 5,
  });
  await b.start();
  await produceIn(where, MESSAGES);
  await done;
  const rate = MESSAGES / (Number(process.hrtime.bigint() - started) / 1e9);
  if (b.stats.accepted < MESSAGES) await new Promise((r) => setTimeout(r, 50));
  await b.stop(1_000);
  await client.close();
  return rate;
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const rates = { consume: [] as number[], bridge: [] as number[] };
await consume(ROUNDS);
await bridge(ROUNDS);
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2 === 0) {
    rates.consume.push(await consume(round));
    rates.bridge.push(await bridge(round));
  } else {
    rates.bridge.push(await bridge(round));
    rates.consume.push(await consume(round));
  }
}
child.send({ stop: true });
const c = median(rates.consume);
const b = median(rates.bridge);
const format = (n: number): string => `${Math.round(n).toLocaleString("en-US")} msg/s`;
console.log(
  `bridge into a no-op function (in process, ${CONCURRENCY} invocations × ${BATCH}) vs the client's consume ` +
    `(no-op handler), credit ${PREFETCH}, one emulated router, ${MESSAGES} messages, median of ${ROUNDS} rounds`,
);
console.log(
  `consume ${format(c)}, bridge ${format(b)}, ratio ${(b / c).toFixed(2)}× (goal ≥ 0.80×)`,
);
await recordResults({
  bench: "bridge",
  setup: [
    `bridge into a no-op function (in process, ${CONCURRENCY} invocations × ${BATCH}) vs the client's consume (no-op handler), credit ${PREFETCH}, one emulated router, ${MESSAGES} messages, median of ${ROUNDS} interleaved rounds`,
  ],
  figures: [
    {
      what: "bridge into a function vs the client's consume, msg/s",
      value: b / c,
      unit: "×",
      baseline: `consume ${format(c)}, bridge ${format(b)}`,
      goal: { op: ">=", value: 0.8 },
    },
  ],
});
process.exit(0);
