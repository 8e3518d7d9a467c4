/**
 * The README's first request with nothing consuming the channel: the ingress (over real HTTP,
 * the local adapter) publishes through an edge router of an emulated mesh (an edge under two
 * interiors), where the routers give a producer credit only while a consumer of the address
 * is reachable. No consumer anywhere: a 503 `no-consumer` that says so, with Retry-After, long
 * before the publish deadline (one minute here; the test's own 30 s timeout would fail a wait
 * for it). A consumer on the far interior: 202 and the message arrives.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LocalMesh } from "../../../emulator/index.ts";
import { MeshClient } from "../../../shared/amqp/index.ts";
import { startTestMesh, stopAllMeshes } from "../../support/local-mesh.ts";
import { waitFor } from "../../support/wait.ts";
import { IngressHarness } from "./harness.ts";

const ORDERS = "/channels/sales%2Forders/messages";
const order = {
  orderId: "ord-1001",
  customerId: "c-7",
  currency: "EUR",
  lines: [{ sku: "sku-1", quantity: 2 }],
};

let mesh: LocalMesh;
beforeAll(async () => {
  mesh = await startTestMesh({
    routers: [
      { id: "interior-a" },
      { id: "interior-b" },
      { id: "edge", mode: "edge", uplinks: ["interior-a"] },
    ],
    links: [["interior-a", "interior-b", 1]],
  });
});
afterAll(stopAllMeshes);

describe("publishing to a channel nobody consumes, through an edge router", () => {
  let h: IngressHarness;
  afterEach(async () => {
    await h?.close();
  });

  it("no consumer anywhere: 503 no-consumer naming the cause, with Retry-After, well before the one-minute deadline; nothing is published", async () => {
    h = await IngressHarness.start(mesh.router("edge").url, { publishDeadlineMs: 60_000 });
    const answer = await h.driver("local").send({
      path: ORDERS,
      headers: {
        "content-type": "application/json",
        "idempotency-key": "order-1001",
        ...h.apiKey(),
      },
      body: JSON.stringify(order),
    });
    expect(answer.status, answer.body).toBe(503);
    expect(answer.headers["content-type"]).toBe("application/problem+json");
    expect(Number(answer.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    const problem = answer.json();
    expect(problem.type).toBe("urn:amqp-mesh:problem:no-consumer");
    expect(problem.title).toBe("No consumer attached to the channel");
    expect(problem.detail).toMatch(/^no consumer of 'sales\/orders' is attached/);
    expect(problem.detail).not.toMatch(/back-pressure/);
    // Nothing went out: a consumer attached now gets the sentinel as its first message.
    const orders = await h.consume("sales/orders");
    await orders.expectNothingPublished();
  });

  it("a consumer on the far interior: the same request is 202 and arrives", async () => {
    h = await IngressHarness.start(mesh.router("edge").url, { publishDeadlineMs: 60_000 });
    const consumerClient = new MeshClient({ urls: [mesh.router("interior-b").url] });
    try {
      const got: unknown[] = [];
      const consumer = consumerClient.consume("sales/orders", (m) => {
        got.push(m.body);
      });
      await consumer.ready();
      // The edge learns of the consumer through the interiors: until then it is a 503.
      await waitFor(
        async () => {
          const answer = await h.driver("local").send({
            path: ORDERS,
            headers: {
              "content-type": "application/json",
              "idempotency-key": "order-1002",
              ...h.apiKey(),
            },
            body: JSON.stringify({ ...order, orderId: "ord-1002" }),
          });
          if (answer.status === 503) return false;
          expect(answer.status, answer.body).toBe(202);
          return true;
        },
        { timeout: 10_000, what: "a 202 once the consumer is known at the edge" },
      );
      await waitFor(() => got.length > 0, { what: "the order at the consumer" });
      expect(got[0]).toMatchObject({ orderId: "ord-1002" });
    } finally {
      await consumerClient.close(100);
    }
  });
});
