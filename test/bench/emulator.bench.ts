/**
 * Throughput of the emulator, at-least-once (unsettled sends, consumer accepts, producer
 * waits for every outcome), against rhea talking to rhea directly in the same run:
 *
 *   npx tsx test/bench/emulator.bench.ts [messages]
 *
 * Cases: direct (rhea sender → rhea receiver-server), one emulated router, and three hops
 * (producer on router a, consumer on router c of a line a—b—c; inter-router hops are
 * in-process). Prints messages/s and the ratios to direct.
 */
import type { AddressInfo } from "node:net";
import rhea, { type Connection, type EventContext } from "rhea";
import { startTestMesh, stopAllMeshes } from "../support/local-mesh.ts";
import { recordResults } from "./results.ts";

const MESSAGES = Number(process.argv[2] ?? 10_000);
/** Rounds, interleaved, and the median taken: the machine is shared and noisy. */
const ROUNDS = Number(process.argv[3] ?? 3);
const BODY = "x".repeat(100);

/** Sends MESSAGES unsettled messages as fast as credit allows; resolves when all accepted. */
function pump(sender: Connection, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const link = sender.open_sender({ target: { address } });
    let sent = 0;
    let accepted = 0;
    const started = process.hrtime.bigint();
    const send = (): void => {
      while (sent < MESSAGES && link.sendable()) {
        link.send({ body: BODY, message_id: sent });
        sent++;
      }
    };
    link.on("sendable", send);
    link.on("accepted", () => {
      accepted++;
      if (accepted === MESSAGES) {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        resolve(MESSAGES / seconds);
      }
    });
    for (const outcome of ["rejected", "released", "modified"]) {
      link.on(outcome, () => reject(new Error(`unexpected ${outcome}`)));
    }
  });
}

function connect(port: number): Promise<Connection> {
  const container = rhea.create_container();
  container.on("error", () => {});
  container.on("disconnected", () => {});
  const connection = container.connect({
    host: "127.0.0.1",
    port,
    reconnect: false,
    tcp_no_delay: true,
  } as Parameters<typeof container.connect>[0]);
  return new Promise((resolve) => connection.once("connection_open", () => resolve(connection)));
}

function consume(connection: Connection, address: string): Promise<void> {
  const receiver = connection.open_receiver({ source: { address }, credit_window: 500 });
  return new Promise((resolve) => receiver.once("receiver_open", () => resolve()));
}

async function direct(): Promise<number> {
  const container = rhea.create_container();
  container.on("error", () => {});
  container.on("disconnected", () => {});
  // The peer accepts every message (rhea's default autoaccept) and grants credit in a window.
  container.on("receiver_open", (context: EventContext) => {
    context.receiver?.set_target(context.receiver.target ?? {});
  });
  const server = container.listen({
    port: 0,
    host: "127.0.0.1",
    receiver_options: { credit_window: 500 },
    tcp_no_delay: true,
  } as Parameters<typeof container.listen>[0]);
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const connection = await connect(port);
  const rate = await pump(connection, "bench");
  connection.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return rate;
}

async function throughMesh(producerRouter: string, consumerRouter: string): Promise<number> {
  const mesh = await startTestMesh({
    routers: [{ id: "a" }, { id: "b" }, { id: "c" }],
    links: [
      ["a", "b", 1],
      ["b", "c", 1],
    ],
  });
  const consumer = await connect(mesh.router(consumerRouter).port);
  await consume(consumer, "bench");
  await mesh.waitForAddress("bench", { router: producerRouter, consumers: 1 });
  const producer = await connect(mesh.router(producerRouter).port);
  const rate = await pump(producer, "bench");
  producer.close();
  consumer.close();
  await stopAllMeshes();
  return rate;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
};
const rates = { direct: [] as number[], one: [] as number[], three: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  rates.direct.push(await direct());
  rates.one.push(await throughMesh("a", "a"));
  rates.three.push(await throughMesh("a", "c"));
}
const directRate = median(rates.direct);
const oneRouter = median(rates.one);
const threeHops = median(rates.three);
const format = (n: number): string => `${Math.round(n).toLocaleString("en-US")} msg/s`;
console.log(
  `at-least-once, ${MESSAGES} messages of ${BODY.length} bytes, median of ${ROUNDS} rounds`,
);
console.log(`rhea → rhea directly:        ${format(directRate)}`);
console.log(
  `through one emulated router: ${format(oneRouter)}  (${(oneRouter / directRate).toFixed(2)}× direct)`,
);
console.log(
  `through three routers:       ${format(threeHops)}  (${(threeHops / directRate).toFixed(2)}× direct)`,
);
await recordResults({
  bench: "emulator",
  setup: [
    `at-least-once, ${MESSAGES} messages of ${BODY.length} bytes, median of ${ROUNDS} rounds`,
  ],
  figures: [
    {
      what: "through one emulated router vs rhea → rhea directly, msg/s",
      value: oneRouter / directRate,
      unit: "×",
      baseline: `direct ${format(directRate)}, one router ${format(oneRouter)}`,
    },
    {
      what: "through three emulated routers vs rhea → rhea directly, msg/s",
      value: threeHops / directRate,
      unit: "×",
      baseline: `three routers ${format(threeHops)}`,
    },
  ],
});
process.exit(0);
