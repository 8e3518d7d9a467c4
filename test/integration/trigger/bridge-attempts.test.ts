/**
 * The bridge counts attempts itself, on an emulated edge router (or TRIGGER_TARGET): a
 * producer that sends a message with `delivery_count: 4` does not get it dead-lettered after
 * one attempt — the failing handler sees every one of `maxAttempts` attempts. And the count
 * outlives the bridge: a message that comes back after bridges stopped while it was failing
 * (the router gives an unsettled delivery back to its producer, which sends it again) goes
 * on counting from the ledger file, and is dead-lettered once it had its attempts.
 */
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MeshClient } from "../../../shared/amqp/index.ts";
import { decodeMeshMessage } from "../../../shared/amqp/message.ts";
import {
  type AttemptLedger,
  attemptKey,
  ChannelBridge,
  channelPublisher,
  FileAttemptLedger,
  inProcessInvoker,
  MemoryAttemptLedger,
} from "../../../shared/trigger/index.ts";
import { closeAllClients, connectClient } from "../../support/amqp-client.ts";
import { startTargetMesh, stopTargetMeshes, type TargetMesh } from "../../support/target-mesh.ts";
import { waitFor } from "../../support/wait.ts";
import {
  deadLetterReceiver,
  exampleRegistry,
  order,
  orderMessage,
  produce,
  recordingHandler,
  TARGET_FLAVOUR,
  TRIGGER_TARGET,
} from "./harness.ts";

let mesh: TargetMesh;
let bridge: ChannelBridge | undefined;
let client: MeshClient | undefined;

beforeAll(async () => {
  mesh = await startTargetMesh(
    { flavour: TARGET_FLAVOUR, routers: [{ id: "edge" }] },
    TRIGGER_TARGET,
  );
});
afterEach(async () => {
  await bridge?.stop(1_000);
  await client?.close(100);
  await closeAllClients();
});
afterAll(() => stopTargetMeshes());

describe("bridge attempts", () => {
  it("ignores a producer's delivery_count: 4 and gives a failing message all maxAttempts attempts", async () => {
    const fn = recordingHandler(() => true);
    const { catalog } = await exampleRegistry();
    client = new MeshClient({ urls: [mesh.router("edge").url] });
    bridge = new ChannelBridge({
      client,
      channel: "sales/orders",
      deadLetter: "sales/orders.dead",
      invoker: inProcessInvoker(fn.definition, {
        catalog,
        publish: channelPublisher(client, catalog),
      }),
      maxAttempts: 5,
      retryDelayMs: 10,
      retryMaxDelayMs: 50,
      maxWaitMs: 20,
    });
    await bridge.start();
    await mesh.waitForAddress("sales/orders", { router: "edge", consumers: 1 });
    const producer = await connectClient(mesh.router("edge").url);
    const dead = await deadLetterReceiver(producer);
    const [outcome] = await produce(producer, "sales/orders", [
      { ...orderMessage(order(44), "order-44"), delivery_count: 4 },
    ]);
    expect(outcome?.outcome).toBe("accepted");
    await waitFor(() => dead.messages.length === 1, { what: "the dead letter" });
    expect(fn.calls.flatMap((c) => c.attempts)).toEqual([1, 2, 3, 4, 5]);
    const props = dead.messages[0]?.message.application_properties ?? {};
    expect(props["amqp-mesh-attempts"]).toBe(5);
    expect(String(props["amqp-mesh-dead-letter-reason"])).toMatch(/failed 5 attempts/);
  });

  it("counts attempts across bridge restarts: a message two stopped bridges tried gets its last attempt from the third, then is dead-lettered", async () => {
    const file = join(tmpdir(), `amqp-mesh-attempts-${process.pid}-${Date.now()}.json`);
    const fn = recordingHandler(() => true);
    const { catalog } = await exampleRegistry();
    client = new MeshClient({ urls: [mesh.router("edge").url] });
    const bridgeWith = (attempts: AttemptLedger) =>
      new ChannelBridge({
        client: client as MeshClient,
        channel: "sales/orders",
        deadLetter: "sales/orders.dead",
        invoker: inProcessInvoker(fn.definition, {
          catalog,
          publish: channelPublisher(client as MeshClient, catalog),
        }),
        maxAttempts: 3,
        // A failed message waits for its retry until its bridge stops and releases it.
        retryDelayMs: 600_000,
        retryMaxDelayMs: 600_000,
        maxWaitMs: 20,
        attempts,
      });
    const producer = new MeshClient({ urls: [mesh.router("edge").url] });
    const dead = await deadLetterReceiver(await connectClient(mesh.router("edge").url));
    try {
      // Released by each stopped bridge, sent again by the producer until one accepts it.
      const published = producer.publish(
        "sales/orders",
        { body: { ...order(45) }, messageId: "order-45", contentType: "application/json" },
        { deadline: 60_000 },
      );
      for (const attempt of [1, 2]) {
        bridge = bridgeWith(new FileAttemptLedger(file));
        await bridge.start();
        await waitFor(() => fn.calls.length === attempt, { what: `attempt ${attempt}` });
        // Failed and waiting for its retry: the stop releases it.
        const stopping = bridge;
        await waitFor(() => stopping.stats.retried === 1, { what: `attempt ${attempt} failed` });
        await bridge.stop(1_000);
      }
      const third = new FileAttemptLedger(file);
      expect(third.problem).toBeUndefined();
      bridge = bridgeWith(third);
      await bridge.start();
      await waitFor(() => dead.messages.length === 1, { what: "the dead letter", timeout: 15_000 });
      await published;
      // Each bridge gave the next attempt; the third was the last.
      expect(fn.calls.flatMap((c) => c.attempts)).toEqual([1, 2, 3]);
      const props = dead.messages[0]?.message.application_properties ?? {};
      expect(props["amqp-mesh-attempts"]).toBe(3);
      expect(String(props["amqp-mesh-dead-letter-reason"])).toMatch(/^failed 3 attempts; /);
      // Settled: the ledger forgets it.
      expect(JSON.parse(readFileSync(file, "utf8"))).toEqual([]);
    } finally {
      await producer.close(100);
      rmSync(file, { force: true });
    }
  });

  it("a message the ledger says had all its attempts (its bridges died in them) is dead-lettered on arrival, without a call", async () => {
    const fn = recordingHandler(() => false);
    const { catalog } = await exampleRegistry();
    client = new MeshClient({ urls: [mesh.router("edge").url] });
    const attempts = new MemoryAttemptLedger();
    // Two bridges took order-46 to the function and never answered (they died). Sent with no
    // user-id: its key holds the digest of its content, as the bridge decodes it.
    const sent = orderMessage(order(46), "order-46");
    const key = attemptKey(
      "sales/orders",
      undefined,
      decodeMeshMessage(sent as Parameters<typeof decodeMeshMessage>[0]),
    );
    attempts.set([[key, 2]]);
    bridge = new ChannelBridge({
      client,
      channel: "sales/orders",
      deadLetter: "sales/orders.dead",
      invoker: inProcessInvoker(fn.definition, {
        catalog,
        publish: channelPublisher(client, catalog),
      }),
      maxAttempts: 2,
      maxWaitMs: 20,
      attempts,
    });
    await bridge.start();
    await mesh.waitForAddress("sales/orders", { router: "edge", consumers: 1 });
    const producer = await connectClient(mesh.router("edge").url);
    const dead = await deadLetterReceiver(producer);
    const [outcome] = await produce(producer, "sales/orders", [sent]);
    expect(outcome?.outcome).toBe("accepted");
    await waitFor(() => dead.messages.length === 1, { what: "the dead letter" });
    expect(fn.calls).toEqual([]);
    const props = dead.messages[0]?.message.application_properties ?? {};
    expect(props["amqp-mesh-attempts"]).toBe(2);
    expect(String(props["amqp-mesh-dead-letter-reason"])).toBe(
      "failed 2 attempts; the bridge stopped before the last ones were answered",
    );
    expect(attempts.get(key)).toBe(0);
  });
});
