/**
 * Throughput of the shared client against raw rhea, same router, same credit window, same
 * run (interleaved rounds, median):
 *
 *   node test/bench/client.bench.ts [messages] [rounds]
 *   CLIENT_BENCH_ROUTER=qdrouterd|skrouterd node test/bench/client.bench.ts   (a real router)
 *
 * The emulated router and the far ends (sink, producer) run in a child process, so this
 * process spends its CPU on the side being measured only.
 * - publish: at-least-once, every message awaited until `accepted`.
 * - consume: prefetch (credit window) 200, every message accepted after a no-op handler.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import rhea, { type Connection, type Delivery, type EventContext } from "rhea";
import { MeshClient } from "../../shared/amqp/index.ts";
import { type Figure, recordResults } from "./results.ts";

const MESSAGES = Number(process.argv[2] ?? 5_000);
const ROUNDS = Number(process.argv[3] ?? 7);
const PREFETCH = 200;
/** Publishes the client benchmark keeps awaiting at once. */
const IN_FLIGHT = 1_000;
const SINK_ADDRESS = "bench/publish";
const PAYLOAD = { n: 1, text: "x".repeat(80) };
/** Payload sizes (bytes of JSON) of the size sweep, for the plot of msg/s against size. */
const SWEEP_SIZES = [100, 1_024, 4_096, 16_384, 65_536];
const SWEEP_ROUNDS = 3;
/** A JSON payload of about `bytes` bytes. */
const payloadOf = (bytes: number): { n: number; text: string } => ({
  n: 1,
  text: "x".repeat(Math.max(0, bytes - 18)),
});

const child: ChildProcess = fork(fileURLToPath(new URL("./client-router.ts", import.meta.url)), {
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const { url, router } = await new Promise<{ url: string; router: string }>((resolve) =>
  child.once("message", (m) => resolve(m as { url: string; router: string })),
);
const port = Number(new URL(url).port);

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

function rawConnect(): Promise<Connection> {
  const container = rhea.create_container();
  container.on("error", () => {});
  container.on("disconnected", () => {});
  const connection = container.connect({
    host: "127.0.0.1",
    port,
    reconnect: false,
    tcp_no_delay: true,
    // The same heartbeat setting as the client's default (rhea re-arms its timers per I/O).
    idle_time_out: 60_000,
  } as Parameters<typeof container.connect>[0]);
  return new Promise((resolve) => connection.once("connection_open", () => resolve(connection)));
}

interface Sample {
  rate: number;
  /** CPU time this process spent per message (the side being measured). */
  cpuUs: number;
}

/** Starts the clock and the CPU meter; the returned function reads both. */
function stopwatch(messages = MESSAGES): () => Sample {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return {
      rate: messages / (Number(process.hrtime.bigint() - start) / 1e9),
      cpuUs: (used.user + used.system) / messages,
    };
  };
}

/** Raw rhea: encode the same message (JSON in a data section), send as credit allows. */
async function rawPublish(
  payload: { n: number; text: string } = PAYLOAD,
  messages = MESSAGES,
): Promise<Sample> {
  const connection = await rawConnect();
  const link = connection.open_sender({ target: { address: SINK_ADDRESS } });
  await new Promise((resolve) => link.once("sendable", resolve));
  const stop = stopwatch(messages);
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    let accepted = 0;
    const send = (): void => {
      while (sent < messages && link.sendable()) {
        link.send({
          message_id: `raw-${sent}`,
          content_type: "application/json",
          durable: true,
          body: rhea.message.data_section(Buffer.from(JSON.stringify(payload))),
        });
        sent++;
      }
    };
    link.on("sendable", send);
    link.on("accepted", () => {
      if (++accepted === messages) resolve();
    });
    for (const o of ["rejected", "released", "modified"]) link.on(o, () => reject(new Error(o)));
    send();
  });
  const rate = stop();
  connection.close();
  return rate;
}

async function clientPublish(
  payload: { n: number; text: string } = PAYLOAD,
  messages = MESSAGES,
): Promise<Sample> {
  const client = new MeshClient({ urls: [url] });
  await client.publish(SINK_ADDRESS, { body: payload }); // connect and attach outside the clock
  const stop = stopwatch(messages);
  // Like an ingress under load: a bounded number of publishes awaiting `accepted` at once
  // (well above the router's credit, so the link is never starved).
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < messages) {
      started++;
      await client.publish(SINK_ADDRESS, { body: payload });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const rate = stop();
  await client.close();
  return rate;
}

/** Raw rhea consumer: manual credit of PREFETCH, accept and give one credit back per message. */
async function rawConsume(round: number): Promise<Sample> {
  const address = `bench/consume-raw-${round}`;
  const connection = await rawConnect();
  const receiver = connection.open_receiver({
    source: { address },
    credit_window: 0,
    autoaccept: false,
  });
  await new Promise((resolve) => receiver.once("receiver_open", resolve));
  receiver.add_credit(PREFETCH);
  let received = 0;
  let stop: () => Sample = stopwatch();
  const done = new Promise<void>((resolve) => {
    receiver.on("message", (ctx: EventContext) => {
      if (received === 0) stop = stopwatch();
      // Decode the body as the client does (a JSON data section).
      JSON.parse((ctx.message as { body: { content: Buffer } }).body.content.toString("utf8"));
      (ctx.delivery as Delivery).accept();
      receiver.add_credit(1);
      if (++received === MESSAGES) resolve();
    });
  });
  await produceIn(address, MESSAGES);
  await done;
  const rate = stop();
  connection.close();
  return rate;
}

async function clientConsume(round: number): Promise<Sample> {
  const address = `bench/consume-client-${round}`;
  const client = new MeshClient({ urls: [url] });
  let received = 0;
  let stop: () => Sample = stopwatch();
  let resolveDone = (): void => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const consumer = client.consume(
    address,
    () => {
      if (received === 0) stop = stopwatch();
      if (++received === MESSAGES) resolveDone();
    },
    { prefetch: PREFETCH, concurrency: PREFETCH },
  );
  await consumer.ready();
  await produceIn(address, MESSAGES);
  await done;
  const rate = stop();
  await client.close();
  return rate;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const rates = {
  rawPub: [] as Sample[],
  clientPub: [] as Sample[],
  rawCon: [] as Sample[],
  clientCon: [] as Sample[],
};
// One warm-up round of each (JIT, sockets), not counted.
await rawPublish();
await clientPublish();
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order so neither side always runs on a warmer machine.
  if (round % 2 === 0) {
    rates.rawPub.push(await rawPublish());
    rates.clientPub.push(await clientPublish());
  } else {
    rates.clientPub.push(await clientPublish());
    rates.rawPub.push(await rawPublish());
  }
  rates.rawCon.push(await rawConsume(round));
  rates.clientCon.push(await clientConsume(round));
}
// The size sweep: publish only, fewer messages for larger payloads (about 64 MB a run).
const sweep: Array<{ size: number; raw: number; client: number }> = [];
for (const size of SWEEP_SIZES) {
  const payload = payloadOf(size);
  const messages = Math.min(MESSAGES, Math.max(500, Math.floor((64 * 2 ** 20) / size)));
  const raw: Sample[] = [];
  const client: Sample[] = [];
  for (let round = 0; round < SWEEP_ROUNDS; round++) {
    if (round % 2 === 0) {
      raw.push(await rawPublish(payload, messages));
      client.push(await clientPublish(payload, messages));
    } else {
      client.push(await clientPublish(payload, messages));
      raw.push(await rawPublish(payload, messages));
    }
  }
  sweep.push({
    size,
    raw: median(raw.map((x) => x.rate)),
    client: median(client.map((x) => x.rate)),
  });
}
child.send({ stop: true });

const format = (n: number): string => `${Math.round(n).toLocaleString("en-US")} msg/s`;
const figures: Figure[] = [];
const line = (what: string, raw: Sample[], client: Sample[]): void => {
  const r = median(raw.map((x) => x.rate));
  const c = median(client.map((x) => x.rate));
  const rc = median(raw.map((x) => x.cpuUs));
  const cc = median(client.map((x) => x.cpuUs));
  console.log(
    `${what}: raw rhea ${format(r)}, client ${format(c)}, ratio ${(c / r).toFixed(2)}× ` +
      `| CPU here per message: raw ${rc.toFixed(1)} µs, client ${cc.toFixed(1)} µs`,
  );
  figures.push(
    {
      what: `${what} (${router}), client vs raw rhea, msg/s`,
      value: c / r,
      unit: "×",
      baseline: `raw rhea ${format(r)}, client ${format(c)}`,
      goal: { op: ">=", value: 0.9 },
    },
    {
      what: `${what} (${router}), CPU per message in the measured process`,
      value: cc,
      unit: "µs",
      baseline: `raw rhea ${rc.toFixed(1)} µs (ratio ${(cc / rc).toFixed(2)}×)`,
    },
  );
};
const where =
  router === "emulator"
    ? "one emulated router (router and far ends in a child process)"
    : `one real ${router} (its own process; the far ends in a child process)`;
console.log(
  `client vs raw rhea through ${where}, ${MESSAGES} messages, median of ${ROUNDS} rounds`,
);
line("publish at-least-once", rates.rawPub, rates.clientPub);
line(`consume, prefetch ${PREFETCH}`, rates.rawCon, rates.clientCon);
for (const s of sweep)
  console.log(
    `publish, ${s.size.toLocaleString("en-US")} B payload: raw rhea ${format(s.raw)}, client ${format(s.client)}, ratio ${(s.client / s.raw).toFixed(2)}×`,
  );
await recordResults({
  bench: router === "emulator" ? "client" : `client-${router}`,
  setup: [
    `through ${where}`,
    `${MESSAGES} messages per round, ${IN_FLIGHT} publishes awaited at once, median of ${ROUNDS} interleaved rounds`,
    `size sweep: ${SWEEP_ROUNDS} interleaved rounds per size, about 64 MB per run`,
  ],
  figures,
  plots: [
    {
      id: "payload-size",
      title: `publish at-least-once through ${router}: msg/s against payload size`,
      xLabel: "payload (bytes of JSON)",
      yLabel: "messages/s",
      xScale: "log",
      series: [
        { name: "raw rhea", points: sweep.map((s) => [s.size, s.raw]) },
        { name: "client", points: sweep.map((s) => [s.size, s.client]) },
      ],
    },
  ],
});
process.exit(0);
