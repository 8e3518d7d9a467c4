/**
 * The bridge counts attempts itself, on an emulated edge router (or TRIGGER_TARGET): a
 * producer that sends a message with `delivery_count: 4` does not get it dead-lettered after
 * one attempt — the failing handler sees every one of `maxAttempts` attempts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MeshClient } from "../../../shared/amqp/index.ts";
import {
  ChannelBridge,
  channelPublisher,
  inProcessInvoker,
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
});
