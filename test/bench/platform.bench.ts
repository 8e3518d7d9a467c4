/**
 * The local platform (`up`) end to end, started in this process on a copy of the example
 * (reserved ports, its own broker queue; RABBIT_PASSWORD=guest for the local RabbitMQ):
 *
 * - **P7**: HTTP POST of an order on the AWS ingress → the trigger function (order-invoicing)
 *   invoked on the Azure side, at RATE requests/s for SECONDS s: p50 and p99 of the time from
 *   the request to the function's start, and of the 202 itself (which waits for the function:
 *   the ingress answers once the consumer settled). Baseline in the same run: an AMQP publish
 *   on the same AWS edge router to a consumer on the same Azure edge router, same rate; the
 *   ratio is platform / baseline. Goal: p50 ≤ 5 ms, p99 ≤ 20 ms on the emulator.
 * - **P4**: a registry edit (a channel added, then removed again, EDITS times) → every router
 *   synced by both clouds' config-sync, both ingresses and the triggers on the new registry:
 *   median and max from the file written to a POST on the channel no longer answering 404
 *   (or answering 404 again) on both ingresses. Goal ≤ 2 s locally.
 *
 * `node test/bench/platform.bench.ts [seconds=30] [rate=100] [edits=20]`,
 * `BENCH_ENGINE=qdrouterd|skrouterd` for real routers.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { Invocation } from "../../cli/local/cloud-triggers.ts";
import { type RegistryUpdate, startCloudTwin } from "../../cli/local/cloud-twin.ts";
import type { Engine } from "../../cli/local/engine.ts";
import { LOCAL_POLL_MS } from "../../cli/local/function-registries.ts";
import { startLocalPlatform } from "../../cli/local/platform.ts";
import { MeshClient } from "../../shared/amqp/index.ts";
import { forTheStory } from "../support/example-functions.ts";
import { copyProject } from "../support/generated-routers.ts";
import { deleteQueues } from "../support/rabbitmq.ts";
import { type Figure, recordResults } from "./results.ts";

const SECONDS = Number(process.argv[2] ?? 30);
const RATE = Number(process.argv[3] ?? 100);
const EDITS = Number(process.argv[4] ?? 20);
const ENGINE = (process.env.BENCH_ENGINE ?? "emulator") as Engine;
process.env.RABBIT_PASSWORD ??= "guest";

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const ms = (v: number) => `${v.toFixed(1)} ms`;

const errors: string[] = [];

/** User + system CPU of this process since `start`, in ms. */
function cpuMsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

/** Calls `send(i)` RATE times a second for SECONDS s; resolves when every call settled. */
async function atRate(send: (i: number) => Promise<void>): Promise<number> {
  const total = SECONDS * RATE;
  const pending: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(send(i).catch((error: unknown) => void errors.push(String(error))));
  }
  await Promise.all(pending);
  return total;
}

const project = await copyProject("examples");
const queue = await forTheStory(project.dir);
const out = await mkdtemp(join(tmpdir(), "amqp-mesh-bench-platform-"));
const invoked = new Map<string, number>();
const platform = await startLocalPlatform(project.dir, join(out, "run"), {
  engine: ENGINE,
  entities: "startup",
  log: () => {},
});
if (platform === undefined) throw new Error("the example did not validate");
const twin = await startCloudTwin({
  platform,
  registryDir: project.dir,
  projectDir: project.dir,
  onInvocation: (invocation: Invocation) => {
    const start = invocation.at - invocation.ms;
    for (const record of invocation.records) {
      const id = /"orderId":"(ord-77\d{6})"/.exec(record.body)?.[1];
      if (id !== undefined && !invoked.has(id)) invoked.set(id, start);
    }
  },
});
try {
  const keys = (
    JSON.parse(await readFile(twin.keysFile, "utf8")) as { keys: Record<string, string> }
  ).keys;
  const aws = twin.ingresses.find((i) => i.cloud === "aws")!;
  const azure = twin.ingresses.find((i) => i.cloud === "azure")!;
  const key = keys[aws.login]!;
  const problems = new Map<string, number>();
  const post = (ingress: typeof aws, channel: string, body: unknown, type = "application/json") =>
    fetch(`${ingress.url}/channels/${encodeURIComponent(channel)}/messages`, {
      method: "POST",
      headers: { "content-type": type, "x-api-key": key },
      body: JSON.stringify(body),
    }).then(async (r) => {
      const text = await r.text();
      if (r.status >= 500) {
        const type = /"type":"urn:amqp-mesh:problem:([\w-]+)"/.exec(text)?.[1] ?? String(r.status);
        problems.set(type, (problems.get(type) ?? 0) + 1);
      }
      return r.status;
    });
  console.log(
    `platform bench on ${ENGINE}: ${SECONDS} s at ${RATE} requests/s, then ${EDITS} registry edits`,
  );

  // Baseline: the same path without HTTP and functions, AWS edge → Azure edge over AMQP.
  const users = platform.users;
  const producer = new MeshClient({
    urls: [platform.routers.url(aws.routers[0]!)],
    sasl: {
      mechanism: "PLAIN",
      username: "billing-worker",
      password: users.get("billing-worker")!,
    },
  });
  const consumer = new MeshClient({
    urls: [platform.routers.url(azure.routers[0]!)],
    sasl: { mechanism: "PLAIN", username: "sales-api", password: users.get("sales-api")! },
  });
  const sentAt = new Map<string, number>();
  const baseline: number[] = [];
  await consumer
    .consume("sales/orders.dead", (m) => {
      const at = sentAt.get(String(m.messageId));
      if (at !== undefined) baseline.push(performance.now() - at);
    })
    .ready();
  await producer.publish("sales/orders.dead", { body: { warm: true }, messageId: "warm" });
  const baselineCpu = process.cpuUsage();
  await atRate(async (i) => {
    const id = `base-${i}`;
    sentAt.set(id, performance.now());
    await producer.publish("sales/orders.dead", { body: { i }, messageId: id });
  });
  const baselineCpuMs = cpuMsSince(baselineCpu) / (SECONDS * RATE);
  await Promise.all([producer.close(), consumer.close()]);

  // P7.
  await post(aws, "sales/orders", {
    orderId: "ord-77000000",
    customerId: "c",
    lines: [{ sku: "s", quantity: 1 }],
  });
  const postedAt = new Map<string, number>();
  const accepted: number[] = [];
  let refused = 0;
  const statuses = new Map<number, number>();
  const platformCpu = process.cpuUsage();
  const sent = await atRate(async (i) => {
    const orderId = `ord-77${String(i + 1).padStart(6, "0")}`;
    const at = performance.now();
    postedAt.set(orderId, at);
    const status = await post(aws, "sales/orders", {
      orderId,
      customerId: "c-bench",
      lines: [{ sku: "sku-1", quantity: 1 }],
    });
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (status === 202) accepted.push(performance.now() - at);
    else refused++;
  });
  const platformCpuMs = cpuMsSince(platformCpu) / sent;
  if (errors.length > 0) console.log(`${errors.length} requests failed, e.g. ${errors[0]}`);
  if (problems.size > 0)
    console.log(`          problems: ${[...problems].map(([t, n]) => `${t}×${n}`).join(", ")}`);
  const toFunction = [...postedAt].flatMap(([id, at]) => {
    const start = invoked.get(id);
    return start === undefined ? [] : [start - at];
  });
  const p = (values: number[]) =>
    `p50 ${ms(percentile(values, 50))}, p99 ${ms(percentile(values, 99))} (n=${values.length})`;
  console.log(`baseline  AMQP aws edge → azure edge:            ${p(baseline)}`);
  console.log(`P7        POST → order-invoicing invoked (Azure): ${p(toFunction)}`);
  console.log(
    `          POST → 202 (after the function settled): ${p(accepted)}; ${refused} of ${sent} not 202 (${[...statuses].map(([s, n]) => `${s}×${n}`).join(", ")})`,
  );
  console.log(
    `          ratio to the baseline: p50 ×${(percentile(toFunction, 50) / percentile(baseline, 50)).toFixed(1)}, p99 ×${(percentile(toFunction, 99) / percentile(baseline, 99)).toFixed(1)}; goal p50 ≤ 5 ms, p99 ≤ 20 ms`,
  );
  console.log(
    `          CPU of this process per request: ${platformCpuMs.toFixed(2)} ms (baseline message ${baselineCpuMs.toFixed(2)} ms, ×${(platformCpuMs / baselineCpuMs).toFixed(1)})${ENGINE === "emulator" ? "; the emulated routers run in it" : "; the routers run in their own processes"}`,
  );

  // P4.
  const file = join(project.dir, "registry", "sales.yaml");
  const original = await readFile(file, "utf8");
  const times: number[] = [];
  /** Per edit: from the write to the update's start (debounce), upload, config-sync, reads. */
  const parts = {
    debounce: [] as number[],
    upload: [] as number[],
    sync: [] as number[],
    read: [] as number[],
  };
  const updates: Array<(u: RegistryUpdate) => void> = [];
  twin.watch((update) => {
    for (const resolve of updates.splice(0)) resolve(update);
  });
  for (let edit = 0; edit < EDITS; edit++) {
    const address = `sales/bench-${edit >> 1}`;
    const adding = edit % 2 === 0;
    const doc = parse(original) as { channels: unknown[] };
    if (adding)
      doc.channels.push({
        address,
        description: "bench",
        distribution: "balanced",
        delivery: "at-least-once",
        producers: ["sales"],
        consumers: ["logistics"],
      });
    const done = new Promise<RegistryUpdate>((resolve) => updates.push(resolve));
    const started = performance.now();
    await writeFile(file, adding ? stringify(doc) : original);
    const update = await done;
    const ended = performance.now();
    if (update.change === undefined) throw new Error(`edit ${edit} refused: ${update.refused}`);
    // Every trigger enforces it (the ingresses are checked by a POST below).
    for (const trigger of twin.triggers)
      if (trigger.registryDigest !== update.change.digest)
        throw new Error(`${trigger.name} is not on ${update.change.digest}`);
    parts.debounce.push(ended - started - update.ms);
    parts.upload.push(update.uploadedMs ?? Number.NaN);
    parts.sync.push((update.syncedMs ?? Number.NaN) - (update.uploadedMs ?? Number.NaN));
    parts.read.push(update.ms - (update.syncedMs ?? Number.NaN));
    // Enforced on both ingresses: a POST is no longer 404 (added) or is 404 again (removed);
    // text/plain is refused (415) right after the channel is found, before any publish.
    for (;;) {
      const statuses = await Promise.all(
        [aws, azure].map((i) => post(i, address, { x: 1 }, "text/plain")),
      );
      if (statuses.every((s) => (s === 404) !== adding)) break;
    }
    times.push(performance.now() - started);
  }
  console.log(
    `P4        registry edit → every router, both ingresses, triggers: median ${ms(percentile(times, 50))}, max ${ms(Math.max(...times))} over ${times.length} edits (goal ≤ 2000 ms; includes the watcher's 150 ms debounce)`,
  );
  const part = (values: number[]) =>
    `median ${ms(percentile(values, 50))}, max ${ms(Math.max(...values))}`;
  console.log(
    `          of which: write → update starts (file watch, 150 ms debounce) ${part(parts.debounce)}; validation and upload to both stores ${part(parts.upload)}; both clouds' config-sync ${part(parts.sync)}; every function reading it from its store (REGISTRY_POLL_MS=${LOCAL_POLL_MS}) ${part(parts.read)}`,
  );
  const baselineText = `AMQP publish aws edge → azure edge, same rate: p50 ${ms(percentile(baseline, 50))}, p99 ${ms(percentile(baseline, 99))}`;
  const figures: Figure[] = [
    {
      what: "P7 POST on the AWS ingress → order-invoicing invoked on Azure, p50",
      value: percentile(toFunction, 50),
      unit: "ms",
      baseline: baselineText,
      ...(ENGINE === "emulator" ? { goal: { op: "<=", value: 5 } as const } : {}),
    },
    {
      what: "P7 … p99",
      value: percentile(toFunction, 99),
      unit: "ms",
      ...(ENGINE === "emulator" ? { goal: { op: "<=", value: 20 } as const } : {}),
    },
    {
      what: "P7 POST → 202 (after the function settled), p50",
      value: percentile(accepted, 50),
      unit: "ms",
    },
    {
      what: "P7 CPU of this process per request, against an AMQP message",
      value: platformCpuMs / baselineCpuMs,
      unit: "×",
      baseline: `${baselineCpuMs.toFixed(2)} ms per baseline message, ${platformCpuMs.toFixed(2)} ms per request`,
    },
  ];
  if (times.length > 0)
    figures.push(
      {
        what: `P4 registry edit → every router, both ingresses, the triggers: median of ${times.length}`,
        value: percentile(times, 50),
        unit: "ms",
        goal: { op: "<=", value: 2000 },
      },
      { what: "P4 … max", value: Math.max(...times), unit: "ms", goal: { op: "<=", value: 2000 } },
      {
        what: `P4 … of which every function reading it from its store (poll ${LOCAL_POLL_MS} ms), median`,
        value: percentile(parts.read, 50),
        unit: "ms",
      },
      {
        what: "P4 … of which both clouds' config-sync, median",
        value: percentile(parts.sync, 50),
        unit: "ms",
      },
    );
  await recordResults({
    bench: ENGINE === "emulator" ? "platform" : `platform-${ENGINE}`,
    setup: [
      `up's platform on ${ENGINE === "emulator" ? "the emulator (routers in this process)" : `${ENGINE} processes`}, the example on reserved ports, RabbitMQ for the broker channel`,
      `P7: ${SECONDS} s at ${RATE} requests/s (${refused} of ${sent} not 202); P4: ${times.length} edits (a channel added, removed)`,
    ],
    figures,
  });
} finally {
  await twin.stop();
  await platform.stop();
  await deleteQueues(queue).catch(() => undefined);
  await project.cleanup();
  await rm(out, { recursive: true, force: true });
}
