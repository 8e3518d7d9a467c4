/**
 * Bridge mode end to end on an emulated edge router, the function in this process: orders
 * sent by a raw producer, the bridge consuming `sales/orders`, settling by the function's
 * answer. Counted from the router's side: the outcome the router reports for each delivery,
 * what reaches the dead-letter channel through the router, and the router's own delivery
 * count on the bridge's link.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MeshClient } from "../../../shared/amqp/index.ts";
import {
  ChannelBridge,
  type ChannelHandlerDefinition,
  channelPublisher,
  defineChannelHandler,
  inProcessInvoker,
} from "../../../shared/trigger/index.ts";
import { closeAllClients, connectClient } from "../../support/amqp-client.ts";
import { startTargetMesh, stopTargetMeshes, type TargetMesh } from "../../support/target-mesh.ts";
import { waitFor } from "../../support/wait.ts";
import {
  deadLetterReceiver,
  exampleRegistry,
  type Order,
  order,
  orderMessage,
  produce,
  recordingHandler,
  routerLinkCounts,
  TARGET_FLAVOUR,
  TRIGGER_TARGET,
} from "./harness.ts";

let mesh: TargetMesh;
const bridges: ChannelBridge[] = [];
const clients: MeshClient[] = [];

beforeAll(async () => {
  mesh = await startTargetMesh(
    { flavour: TARGET_FLAVOUR, routers: [{ id: "edge" }] },
    TRIGGER_TARGET,
  );
});
afterEach(async () => {
  for (const bridge of bridges.splice(0)) await bridge.stop(1_000);
  for (const client of clients.splice(0)) await client.close(100);
  await closeAllClients();
});
afterAll(() => stopTargetMeshes());

async function startBridge<T>(
  definition: ChannelHandlerDefinition<T>,
  options: Partial<ConstructorParameters<typeof ChannelBridge>[0]> = {},
): Promise<ChannelBridge> {
  const { catalog } = await exampleRegistry();
  const client = new MeshClient({ urls: [mesh.router("edge").url] });
  clients.push(client);
  const bridge = new ChannelBridge({
    client,
    channel: "sales/orders",
    deadLetter: "sales/orders.dead",
    invoker: inProcessInvoker(definition, { catalog, publish: channelPublisher(client, catalog) }),
    retryDelayMs: 10,
    retryMaxDelayMs: 50,
    maxWaitMs: 20,
    ...options,
  });
  bridges.push(bridge);
  await bridge.start();
  await mesh.waitForAddress("sales/orders", { router: "edge", consumers: 1 });
  return bridge;
}

describe("bridge, in-process function", () => {
  it("accepts every message once the function answered, each delivered once by the router", async () => {
    const fn = recordingHandler();
    await startBridge(fn.definition, { batchSize: 5 });
    const producer = await connectClient(mesh.router("edge").url);
    const outcomes = await produce(
      producer,
      "sales/orders",
      Array.from({ length: 20 }, (_, i) => orderMessage(order(i))),
    );
    expect(outcomes.map((o) => o.outcome)).toEqual(Array(20).fill("accepted"));
    expect([...fn.seen.values()]).toEqual(Array(20).fill(1));
    expect(fn.calls.every((c) => c.orderIds.length <= 5)).toBe(true);
    expect(
      await routerLinkCounts(mesh.router("edge").url, "sales/orders", TARGET_FLAVOUR),
    ).toMatchObject({
      delivered: 20,
      unsettled: 0,
    });
  });

  it("retries failed items with backoff and dead-letters the ones still failing at the last attempt", async () => {
    // ord-1 and ord-3 fail once, ord-2 always: with 3 attempts ord-2 is dead-lettered.
    const fn = recordingHandler(
      (id, attempt) => id === "ord-2" || ((id === "ord-1" || id === "ord-3") && attempt === 1),
    );
    const bridge = await startBridge(fn.definition, { maxAttempts: 3, batchSize: 10 });
    const producer = await connectClient(mesh.router("edge").url);
    const dead = await deadLetterReceiver(producer);
    const outcomes = await produce(
      producer,
      "sales/orders",
      [0, 1, 2, 3, 4].map((n) => orderMessage(order(n), `order-${n}`)),
    );
    // Dead-lettered is accepted too: the message is safe on the dead-letter channel.
    expect(outcomes.map((o) => o.outcome)).toEqual(Array(5).fill("accepted"));
    expect(Object.fromEntries(fn.seen)).toEqual({
      "ord-0": 1,
      "ord-1": 2,
      "ord-2": 3,
      "ord-3": 2,
      "ord-4": 1,
    });
    await waitFor(() => dead.messages.length === 1, { what: "one dead letter" });
    const letter = dead.messages[0]?.message;
    expect(letter?.message_id).toBe("order-2");
    expect(letter?.application_properties).toMatchObject({
      "amqp-mesh-attempts": 3,
      "amqp-mesh-dead-letter-source": "sales/orders",
    });
    expect(String(letter?.application_properties?.["amqp-mesh-dead-letter-reason"])).toMatch(
      /failed 3 attempts/,
    );
    expect(JSON.parse(Buffer.from(letter?.body.content).toString())).toEqual(order(2));
    // Retries happen in the bridge: the router delivered each message once.
    expect(
      (await routerLinkCounts(mesh.router("edge").url, "sales/orders", TARGET_FLAVOUR)).delivered,
    ).toBe(5);
    expect(bridge.stats).toMatchObject({ accepted: 4, deadLettered: 1, retried: 4 });
  });

  it("dead-letters a payload the channel's schema refuses at once, without the handler seeing it", async () => {
    const fn = recordingHandler();
    await startBridge(fn.definition, { maxAttempts: 5 });
    const producer = await connectClient(mesh.router("edge").url);
    const dead = await deadLetterReceiver(producer);
    const bad = { orderId: "not-an-order-id", customerId: "c", lines: [] };
    const [outcome] = await produce(producer, "sales/orders", [orderMessage(bad, "bad-1")]);
    expect(outcome?.outcome).toBe("accepted");
    await waitFor(() => dead.messages.length === 1, { what: "the dead letter" });
    const props = dead.messages[0]?.message.application_properties ?? {};
    expect(props["amqp-mesh-attempts"]).toBe(1);
    expect(String(props["amqp-mesh-dead-letter-reason"])).toMatch(/schema: \/orderId/);
    expect(fn.calls).toEqual([]);
  });

  it("rejects an exhausted message when the channel has no dead-letter channel, telling the producer why", async () => {
    const fn = recordingHandler(() => true);
    await startBridge(fn.definition, { maxAttempts: 2, deadLetter: undefined });
    const producer = await connectClient(mesh.router("edge").url);
    const [outcome] = await produce(producer, "sales/orders", [orderMessage(order(7))]);
    expect(outcome?.outcome).toBe("rejected");
    expect(outcome?.error?.description).toMatch(/failed 2 attempts.*no deadLetter channel/);
    expect(fn.seen.get("ord-7")).toBe(2);
  });

  it("holds at most concurrency × batch size deliveries, settling none before the function answers", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let running = 0;
    let mostRunning = 0;
    const sizes: number[] = [];
    const definition = defineChannelHandler<Order>({
      channel: "sales/orders",
      async handler(batch) {
        running++;
        mostRunning = Math.max(mostRunning, running);
        sizes.push(batch.length);
        await gate;
        running--;
      },
    });
    const bridge = await startBridge(definition, { concurrency: 2, batchSize: 3, maxWaitMs: 5 });
    const producer = await connectClient(mesh.router("edge").url);
    const outcomes = produce(
      producer,
      "sales/orders",
      Array.from({ length: 10 }, (_, i) => orderMessage(order(i))),
    );
    await waitFor(() => bridge.unsettled === 6, { what: "6 deliveries held" });
    const url = mesh.router("edge").url;
    // The router agrees: 6 out on the bridge's link, none settled, the rest waiting for credit.
    expect(await routerLinkCounts(url, "sales/orders", TARGET_FLAVOUR)).toMatchObject({
      delivered: 6,
      unsettled: 6,
    });
    expect(mostRunning).toBe(2);
    release();
    expect((await outcomes).map((o) => o.outcome)).toEqual(Array(10).fill("accepted"));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(mostRunning).toBe(2);
  });

  it("sends a batch that did not fill once its first message waited the maximum", async () => {
    const fn = recordingHandler();
    await startBridge(fn.definition, { batchSize: 10, maxWaitMs: 150 });
    const producer = await connectClient(mesh.router("edge").url);
    const outcomes = await produce(producer, "sales/orders", [
      orderMessage(order(1)),
      orderMessage(order(2)),
    ]);
    expect(outcomes.map((o) => o.outcome)).toEqual(["accepted", "accepted"]);
    expect(fn.calls.map((c) => c.orderIds)).toEqual([["ord-1", "ord-2"]]);
  });

  it("hands the handler CloudEvent attributes and the producer's trace context", async () => {
    const fn = recordingHandler();
    await startBridge(fn.definition);
    const producer = await connectClient(mesh.router("edge").url);
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const message = {
      ...orderMessage(order(5), "evt-5"),
      application_properties: {
        cloudEvents_specversion: "1.0",
        cloudEvents_id: "evt-5",
        cloudEvents_source: "/shop",
        cloudEvents_type: "com.example.order.placed",
        cloudEvents_tenant: "eu",
        traceparent,
        channelHint: "web",
      },
    };
    await produce(producer, "sales/orders", [message]);
    const [received] = fn.messages;
    expect(received?.payload).toEqual(order(5));
    expect(received?.cloudEvent).toMatchObject({
      id: "evt-5",
      source: "/shop",
      type: "com.example.order.placed",
      specversion: "1.0",
      datacontenttype: "application/json",
      extensions: { tenant: "eu" },
    });
    expect(received?.trace.traceparent).toBe(traceparent);
    expect(received?.properties).toEqual({ channelHint: "web" });
    expect(received?.messageId).toBe("evt-5");
  });

  it("publishes from the function: the example order-invoicing sends one invoice per order", async () => {
    const { default: orderInvoicing } = await import(
      "../../../examples/functions/order-invoicing.ts"
    );
    const producer = await connectClient(mesh.router("edge").url);
    const invoices = await producer.receiver("billing/invoices", { credit: 10 });
    await startBridge(orderInvoicing);
    const outcomes = await produce(producer, "sales/orders", [orderMessage(order(11), "order-11")]);
    expect(outcomes[0]?.outcome).toBe("accepted");
    await waitFor(() => invoices.messages.length === 1, { what: "the invoice" });
    const invoice = invoices.messages[0]?.message;
    expect(JSON.parse(Buffer.from(invoice?.body.content).toString())).toEqual({
      invoiceId: "inv-ord-11",
      orderId: "ord-11",
      amount: 28.5, // 3 × 9.5
      currency: "EUR",
    });
    // Derived from the order: a retried order publishes the same invoice id.
    expect(invoice?.message_id).toBe("order-11:billing/invoices");
    expect(invoice?.correlation_id).toBe("order-11");
  });
});
