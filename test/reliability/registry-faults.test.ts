/**
 * Registry faults mid-run, through config-sync's real path (the registry uploaded to S3rver,
 * each write's EventBridge event handed to the AWS sync Lambda, which reconciles every router
 * of the example mesh through a management tap that counts requests on the wire): while
 * orders flow through the ingress, an invalid registry and then a breaking payload-schema
 * change are uploaded. Neither may reach a router (0 management requests), the store's last
 * good registry stays the one before them, the running ingress keeps enforcing it and so does
 * one started afresh from that last good registry, and a replay of an event already applied
 * costs 0 write operations.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { parse, stringify } from "yaml";
import { createSyncHandler, syncLoggerOf } from "../../functions/aws/sync/handler.ts";
import { S3ObjectStore } from "../../functions/aws/sync/s3-store.ts";
import { ManagementPool } from "../../shared/management/index.ts";
import {
  handleSyncTrigger,
  ObjectStateStore,
  operationLogger,
  syncSettingsFromEnv,
} from "../../shared/sync/index.ts";
import { type ManagementTap, startManagementTap } from "../support/management-tap.ts";
import {
  objectCreatedEvent,
  type S3Emulator,
  startS3Emulator,
} from "../support/storage-emulators.ts";
import { waitFor } from "../support/wait.ts";
import { VALID_ORDER } from "./bad-requests.ts";
import {
  type ChannelConsumer,
  ENGINE,
  type IngressChild,
  type ReliabilityPlatform,
  SYNC_PRINCIPAL,
  startIngressChild,
  startReliabilityPlatform,
  table,
} from "./platform.ts";

const BUCKET = "registry";
const CHANNEL = "sales/orders";

let p: ReliabilityPlatform;
let s3: S3Emulator;
let pool: ManagementPool;
let taps: Map<string, ManagementTap>;
let handler: ReturnType<typeof createSyncHandler>;
let store: S3ObjectStore;
let consumer: ChannelConsumer;
const stateKey = ".amqp-mesh/sync-state.json";

function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "amqp-mesh-config-sync",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:amqp-mesh-config-sync",
    memoryLimitInMB: "512",
    awsRequestId: crypto.randomUUID(),
    logGroupName: "/aws/lambda/amqp-mesh-config-sync",
    logStreamName: "reliability",
    getRemainingTimeInMillis: () => 60_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** The EventBridge event S3 sends for a write, from the record S3rver emitted for it. */
const eventFor = (key: string): unknown => objectCreatedEvent(s3, key);

async function put(key: string, content: string): Promise<void> {
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: content }));
}

async function projectFiles(dir: string): Promise<Array<{ key: string; content: string }>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return Promise.all(
    entries
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .map((file) => ({ file, key: relative(dir, file).split(sep).join("/") }))
      .filter(({ key }) => key === "topology.yaml" || key.startsWith("registry/"))
      .map(async ({ file, key }) => ({ key, content: await readFile(file, "utf8") })),
  );
}

const requests = (): number => [...taps.values()].reduce((n, t) => n + t.requests.length, 0);
const writes = (): number => [...taps.values()].reduce((n, t) => n + t.writes().length, 0);
const resetTaps = (): void => {
  for (const tap of taps.values()) tap.reset();
};

async function postOrder(ingress: IngressChild, order: object, id: string): Promise<number> {
  const key = ingress.keys[p.producerOf(CHANNEL)] as string;
  const response = await fetch(`${ingress.url}/channels/${encodeURIComponent(CHANNEL)}/messages`, {
    method: "POST",
    headers: { "x-api-key": key, "content-type": "application/json", "idempotency-key": id },
    body: JSON.stringify(order),
  });
  const text = await response.text();
  // A 5xx says why in its problem: printed, so that a failed run shows it.
  if (response.status >= 500) console.log(`${id}: ${response.status} ${text}`);
  return response.status;
}

beforeAll(async () => {
  p = await startReliabilityPlatform();
  taps = new Map();
  for (const router of p.routers.topology.routers)
    taps.set(router.id, await startManagementTap(p.routers.url(router.id)));
  s3 = await startS3Emulator();
  await s3.createBucket(BUCKET);
  for (const { key, content } of await projectFiles(p.project.dir)) await put(key, content);
  const logger = new Logger({
    serviceName: "amqp-mesh-config-sync-reliability",
    logLevel: "SILENT",
  });
  const settings = syncSettingsFromEnv({
    SYNC_ROUTER_URLS: [...taps.values()].map((t) => t.url).join(","),
    MESH_SASL_USERNAME: SYNC_PRINCIPAL,
    MESH_SASL_PASSWORD: p.users.get(SYNC_PRINCIPAL) ?? "",
    SYNC_TIMEOUT_MS: "10000",
    SYNC_STATE_KEY: stateKey,
  });
  const log = syncLoggerOf(logger);
  pool = new ManagementPool({ timeoutMs: settings.timeoutMs, onOperation: operationLogger(log) });
  store = new S3ObjectStore(s3.client, BUCKET);
  handler = createSyncHandler({
    logger,
    sync: (trigger) =>
      handleSyncTrigger(trigger, {
        store,
        settings,
        pool,
        logger: log,
        prepareConfig: p.routers.prepareConfig,
      }),
  });
  consumer = await p.consume(CHANNEL, "azure-we-edge-1");
  // Attached on the Azure edge is not yet known at the AWS edges the ingress publishes to:
  // real routers take a few seconds to spread the address (the ingress answers 503 meanwhile).
  let warm = 0;
  await waitFor(
    async () => (await postOrder(p.ingress, VALID_ORDER, `faults-warm-${warm++}`)) === 202,
    {
      timeout: 30_000,
      interval: 200,
      what: `the consumer of ${CHANNEL} reachable from the ingress`,
    },
  );
}, 240_000);

afterAll(async () => {
  await pool?.close();
  await s3?.stop();
  for (const tap of taps?.values() ?? []) await tap.close();
  await p?.close();
});

describe(`registry faults mid-run (${ENGINE})`, () => {
  it("an invalid registry and a breaking change reach no router, the ingress keeps the last good registry, a replay costs nothing", async () => {
    const figures: Array<[string, string | number]> = [];
    // Powertools' logger writes JSON lines to stdout; the figures table is what this run prints.
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const state = new ObjectStateStore(store, stateKey);

    // The good registry as uploaded: the baseline (and the last good registry from now on).
    const first = (await handler(eventFor("registry/sales.yaml"), lambdaContext())) as {
      outcome: string;
    };
    expect(first.outcome, JSON.stringify(first)).toBe("ok");
    const lastGood = (await state.read()).lastGood;
    expect(lastGood).toBeDefined();
    figures.push(["first sync: write operations", writes()]);

    // Orders flow all along.
    let running = true;
    let sent = 0;
    const answers = new Map<number, number>();
    const traffic = (async () => {
      while (running) {
        const n = sent++;
        const status = await postOrder(
          p.ingress,
          { ...VALID_ORDER, orderId: `ord-${n}` },
          `faults-${n}`,
        );
        answers.set(status, (answers.get(status) ?? 0) + 1);
      }
    })();
    // However the checks below end, the traffic stops and its last request settles.
    onTestFinished(async () => {
      running = false;
      await traffic.catch(() => undefined);
    });

    // 1. An invalid registry.
    resetTaps();
    await put("registry/broken.yaml", "team: [unclosed\n");
    const invalid = (await handler(eventFor("registry/broken.yaml"), lambdaContext())) as {
      outcome: string;
    };
    figures.push(["invalid registry: outcome", invalid.outcome]);
    figures.push(["invalid registry: management requests", requests()]);
    expect(invalid).toMatchObject({ outcome: "refused", registry: { accepted: false } });
    expect(requests()).toBe(0);
    await s3.client.send(
      new (await import("@aws-sdk/client-s3")).DeleteObjectCommand({
        Bucket: BUCKET,
        Key: "registry/broken.yaml",
      }),
    );

    // 2. A breaking change: sales/orders now requires a member the old schema forbids.
    resetTaps();
    const sales = parse(await readFile(join(p.project.dir, "registry", "sales.yaml"), "utf8")) as {
      channels: Array<{
        address: string;
        schema?: { required: string[]; properties: Record<string, unknown> };
      }>;
    };
    const orders = sales.channels.find((c) => c.address === CHANNEL);
    if (orders?.schema === undefined) throw new Error("sales/orders has no inline schema");
    orders.schema.required.push("priority");
    orders.schema.properties.priority = { type: "integer" };
    await put("registry/sales.yaml", stringify(sales));
    const breaking = (await handler(eventFor("registry/sales.yaml"), lambdaContext())) as {
      outcome: string;
      registry?: { problems: string[] };
    };
    figures.push(["breaking change: outcome", breaking.outcome]);
    figures.push(["breaking change: management requests", requests()]);
    expect(breaking, JSON.stringify(breaking.registry?.problems)).toMatchObject({
      outcome: "refused",
      registry: { accepted: false },
    });
    expect(requests()).toBe(0);

    // 3. The same event delivered again.
    resetTaps();
    const replay = (await handler(eventFor("registry/sales.yaml"), lambdaContext())) as {
      outcome: string;
    };
    figures.push(["replay of the breaking event: outcome", replay.outcome]);
    figures.push(["replay of the breaking event: management requests", requests()]);
    expect(requests()).toBe(0);

    // The last good registry is still the one before the faults.
    const after = (await state.read()).lastGood;
    expect(after?.digest).toBe(lastGood?.digest);

    // The running ingress enforces it: the old order passes, one with the new member does not.
    expect(
      await postOrder(p.ingress, { ...VALID_ORDER, orderId: "ord-900001" }, "faults-old"),
    ).toBe(202);
    expect(
      await postOrder(
        p.ingress,
        { ...VALID_ORDER, orderId: "ord-900002", priority: 1 },
        "faults-new",
      ),
    ).toBe(422);
    running = false;
    await traffic;

    // So does an ingress started afresh from the store's last good registry.
    const dir = await mkdtemp(join(tmpdir(), "amqp-mesh-last-good-"));
    try {
      for (const file of after?.files ?? []) {
        await mkdir(dirname(join(dir, file.path)), { recursive: true });
        await writeFile(join(dir, file.path), file.content);
      }
      const fresh = await startIngressChild({
        urls: p.ingressEdges.map((id) => p.routers.url(id)),
        users: Object.fromEntries(p.users),
        projectDir: dir,
      });
      try {
        expect(
          await postOrder(fresh, { ...VALID_ORDER, orderId: "ord-900003" }, "faults-fresh-old"),
        ).toBe(202);
        expect(
          await postOrder(
            fresh,
            { ...VALID_ORDER, orderId: "ord-900004", priority: 1 },
            "faults-fresh-new",
          ),
        ).toBe(422);
      } finally {
        await fresh.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // 4. The good registry back; its event replayed: nothing more to write.
    await put(
      "registry/sales.yaml",
      await readFile(join(p.project.dir, "registry", "sales.yaml"), "utf8"),
    );
    resetTaps();
    const restored = (await handler(eventFor("registry/sales.yaml"), lambdaContext())) as {
      outcome: string;
    };
    figures.push(["good registry back: outcome", restored.outcome]);
    figures.push(["good registry back: write operations", writes()]);
    resetTaps();
    const replayGood = (await handler(eventFor("registry/sales.yaml"), lambdaContext())) as {
      outcome: string;
    };
    figures.push(["replay of the good event: outcome", replayGood.outcome]);
    figures.push(["replay of the good event: write operations", writes()]);
    figures.push(["replay of the good event: requests (reads)", requests()]);
    expect(restored.outcome).toBe("ok");
    expect(replayGood.outcome).toBe("ok");
    expect(writes()).toBe(0);

    const received = new Set(consumer.received.map((m) => m.messageId));
    figures.push(["orders posted meanwhile", sent]);
    figures.push(["answers meanwhile", [...answers].map(([s, n]) => `${s}×${n}`).join(" ")]);
    vi.restoreAllMocks();
    console.log(table(`registry faults (${ENGINE}, ${taps.size} routers tapped)`, figures));
    expect([...answers.keys()]).toEqual([202]);
    // The ingress scopes a caller's id to its principal: `<principal>/<id>`.
    expect(received.has(`${p.producerOf(CHANNEL)}/faults-old`)).toBe(true);
  }, 600_000);
});
