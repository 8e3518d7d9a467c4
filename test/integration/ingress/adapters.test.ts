/**
 * The same behaviour through every adapter — Lambda (API Gateway v2 events into the middy
 * handler), Azure (HttpRequest + InvocationContext into the v4 handler) and local (HTTP to
 * the node:http server) — against an emulated edge router over TCP. A 202'd message reaches
 * a consumer; every error answer leaves the channel empty (a sentinel is the next message).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LocalMesh } from "../../../emulator/index.ts";
import { fromAmqpMessage, PermanentError } from "../../../shared/amqp/index.ts";
import { startTestMesh, stopAllMeshes } from "../../support/local-mesh.ts";
import { ADAPTERS, type HttpAnswer, IngressHarness } from "./harness.ts";

const ORDERS = "/channels/sales%2Forders/messages";
const order = (n = 1) => ({
  orderId: `ord-${n}`,
  customerId: "c-1",
  currency: "EUR",
  lines: [{ sku: "sku-1", quantity: 2 }],
});
const JSON_TYPE = { "content-type": "application/json" };

let mesh: LocalMesh;
let url: string;
beforeAll(async () => {
  mesh = await startTestMesh({ routers: [{ id: "edge", mode: "interior" }] });
  url = mesh.router("edge").url;
});
afterAll(stopAllMeshes);

function expectProblem(answer: HttpAnswer, status: number, type: string): void {
  expect(answer.status, answer.body).toBe(status);
  expect(answer.headers["content-type"]).toBe("application/problem+json");
  const problem = answer.json();
  expect(problem.type).toBe(`urn:amqp-mesh:problem:${type}`);
  expect(problem.status).toBe(status);
  expect(typeof problem.detail).toBe("string");
}

describe.each(ADAPTERS)("ingress through the %s adapter", (adapter) => {
  let h: IngressHarness;
  afterEach(async () => {
    await h?.close();
  });
  const start = async (options: { publishDeadlineMs?: number } = {}) => {
    h = await IngressHarness.start(url, options);
    return h.driver(adapter);
  };

  it("202: a JSON order reaches the consumer with the id the answer names", async () => {
    const send = await start();
    const orders = await h.consume("sales/orders");
    const body = JSON.stringify(order(7));
    const answer = await send.send({
      path: ORDERS,
      headers: { ...JSON_TYPE, ...h.apiKey() },
      body,
    });
    expect(answer.status, answer.body).toBe(202);
    const { messageId, channel } = answer.json();
    expect(channel).toBe("sales/orders");
    const [received] = await orders.waitFor(1);
    expect(received?.messageId).toBe(messageId);
    expect(received?.body).toEqual(order(7));
    expect(received?.contentType).toBe("application/json");
  });

  it("202: Idempotency-Key becomes the message id under the caller's principal; a JWT caller is accepted; dots name the channel", async () => {
    const send = await start();
    const orders = await h.consume("sales/orders");
    const token = await h.token({ sub: "sales-ingress" });
    const answer = await send.send({
      path: "/channels/sales.orders/messages",
      headers: {
        ...JSON_TYPE,
        authorization: `Bearer ${token}`,
        "idempotency-key": '"order-42-v1"',
      },
      body: JSON.stringify(order(42)),
    });
    expect(answer.status, answer.body).toBe(202);
    expect(answer.json().messageId).toBe("sales-ingress/order-42-v1");
    const [received] = await orders.waitFor(1);
    expect(received?.messageId).toBe("sales-ingress/order-42-v1");
  });

  it("202: a CloudEvent in binary mode keeps its attributes and id (the message id scoped to the caller)", async () => {
    const send = await start();
    const orders = await h.consume("sales/orders");
    const answer = await send.send({
      path: ORDERS,
      headers: {
        ...JSON_TYPE,
        ...h.apiKey(),
        "ce-specversion": "1.0",
        "ce-id": "evt-1",
        "ce-source": "/shop/web",
        "ce-type": "com.example.order.placed",
        "ce-subject": "order%2F1",
      },
      body: JSON.stringify(order(1)),
    });
    expect(answer.status, answer.body).toBe(202);
    expect(answer.json().messageId).toBe("sales-api/evt-1");
    const [received] = await orders.waitFor(1);
    const event = fromAmqpMessage(received);
    expect(event).toMatchObject({
      id: "evt-1",
      source: "/shop/web",
      subject: "order/1",
      data: order(1),
    });
  });

  it("202: a structured CloudEvent travels as application/cloudevents+json", async () => {
    const send = await start();
    const orders = await h.consume("sales/orders");
    const event = {
      specversion: "1.0",
      id: "evt-2",
      source: "/shop",
      type: "order.placed",
      data: order(2),
    };
    const answer = await send.send({
      path: ORDERS,
      headers: { "content-type": "application/cloudevents+json; charset=utf-8", ...h.apiKey() },
      body: JSON.stringify(event),
    });
    expect(answer.status, answer.body).toBe(202);
    const [received] = await orders.waitFor(1);
    expect(received?.contentType).toMatch(/^application\/cloudevents\+json/);
    expect(fromAmqpMessage(received)).toMatchObject({ id: "evt-2", data: order(2) });
  });

  it("202 for a batch whose items are all accepted, each reported with its id", async () => {
    const send = await start();
    const orders = await h.consume("sales/orders");
    const events = [1, 2, 3].map((n) => ({
      specversion: "1.0",
      id: `b-${n}`,
      source: "/s",
      type: "t",
      data: order(n),
    }));
    const answer = await send.send({
      path: ORDERS,
      headers: { "content-type": "application/cloudevents-batch+json", ...h.apiKey() },
      body: JSON.stringify(events),
    });
    expect(answer.status, answer.body).toBe(202);
    expect(answer.json().items).toEqual(
      [0, 1, 2].map((index) => ({ index, status: 202, messageId: `sales-api/b-${index + 1}` })),
    );
    const received = await orders.waitFor(3);
    expect(received.map((m) => m.messageId).sort()).toEqual([
      "sales-api/b-1",
      "sales-api/b-2",
      "sales-api/b-3",
    ]);
  });

  it("207 for a JSON array batch with a bad item: the good ones are published, the bad one is reported", async () => {
    const send = await start();
    const orders = await h.consume("sales/orders");
    const answer = await send.send({
      path: ORDERS,
      headers: { ...JSON_TYPE, ...h.apiKey(), "idempotency-key": "batch-9" },
      body: JSON.stringify([order(1), { orderId: "nope" }, order(3)]),
    });
    expect(answer.status, answer.body).toBe(207);
    const { items } = answer.json();
    expect(items.map((i: { status: number }) => i.status)).toEqual([202, 422, 202]);
    expect(items[1].problem.errors.map((e: { pointer: string }) => e.pointer)).toEqual(
      expect.arrayContaining(["/1/orderId", "/1/customerId", "/1/lines"]),
    );
    const received = await orders.waitFor(2);
    expect(received.map((m) => m.messageId).sort()).toEqual([
      "sales-api/batch-9:0",
      "sales-api/batch-9:2",
    ]);
    await expect.poll(() => orders.received.length, { timeout: 200 }).toBe(2);
  });

  it("401 without credentials, with a wrong key, and with an expired or foreign token; nothing published", async () => {
    const send = await start();
    const orders = await h.consume("sales/orders");
    const body = JSON.stringify(order());
    const none = await send.send({ path: ORDERS, headers: JSON_TYPE, body });
    expectProblem(none, 401, "unauthenticated");
    expect(none.headers["www-authenticate"]).toMatch(/^Bearer/);
    const wrongKey = await send.send({
      path: ORDERS,
      headers: { ...JSON_TYPE, "x-api-key": "amk_guess" },
      body,
    });
    expectProblem(wrongKey, 401, "unauthenticated");
    expect(wrongKey.body).not.toContain("amk_guess");
    const expired = await h.token({ exp: Math.floor(Date.now() / 1000) - 3_600 });
    const old = await send.send({
      path: ORDERS,
      headers: { ...JSON_TYPE, authorization: `Bearer ${expired}` },
      body,
    });
    expectProblem(old, 401, "unauthenticated");
    expect(old.json().detail).toMatch(/expired/);
    const foreign = await IngressHarness.start(url);
    const forged = await foreign.token({}, undefined);
    await foreign.close();
    const bad = await send.send({
      path: ORDERS,
      headers: { ...JSON_TYPE, authorization: `Bearer ${forged}` },
      body,
    });
    expectProblem(bad, 401, "unauthenticated");
    await orders.expectNothingPublished();
  });

  it("404 for an unknown channel and for an unknown route; 405 for GET", async () => {
    const send = await start();
    const orders = await h.consume("sales/orders");
    const body = JSON.stringify(order());
    const headers = { ...JSON_TYPE, ...h.apiKey() };
    expectProblem(
      await send.send({ path: "/channels/sales%2Fnope/messages", headers, body }),
      404,
      "channel-not-found",
    );
    if (adapter !== "azure") {
      // Azure's host routes only channels/{channel}/messages to the function.
      expectProblem(
        await send.send({ path: "/topics/sales/orders", headers, body }),
        404,
        "route-not-found",
      );
      const get = await send.send({ method: "GET", path: ORDERS, headers: h.apiKey() });
      expectProblem(get, 405, "method-not-allowed");
      expect(get.headers.allow).toBe("POST");
    }
    await orders.expectNothingPublished();
  });

  it("403 for a principal that is not a producer of the channel", async () => {
    const send = await start();
    const orders = await h.consume("sales/orders");
    const answer = await send.send({
      path: ORDERS,
      headers: { ...JSON_TYPE, ...h.apiKey("logistics-tracker") },
      body: JSON.stringify(order()),
    });
    expectProblem(answer, 403, "forbidden");
    expect(answer.json().detail).toContain("logistics-tracker");
    await orders.expectNothingPublished();
  });

  it("415 for a body that is not JSON, or not UTF-8", async () => {
    const send = await start();
    const orders = await h.consume("sales/orders");
    for (const type of ["text/plain", "application/xml", "application/json; charset=latin1"]) {
      const answer = await send.send({
        path: ORDERS,
        headers: { "content-type": type, ...h.apiKey() },
        body: "x",
      });
      expectProblem(answer, 415, "unsupported-media-type");
    }
    await orders.expectNothingPublished();
  });

  it("413 for a body larger than the channel's maxMessageSize (64 KiB for sales/orders)", async () => {
    const send = await start();
    const orders = await h.consume("sales/orders");
    const big = JSON.stringify({ ...order(), customerId: "x".repeat(70_000) });
    const answer = await send.send({
      path: ORDERS,
      headers: { ...JSON_TYPE, ...h.apiKey() },
      body: big,
    });
    expectProblem(answer, 413, "content-too-large");
    expect(answer.json().detail).toContain("65536");
    await orders.expectNothingPublished();
  });

  it("400 for a body that does not parse as JSON, and for a bad Idempotency-Key", async () => {
    const send = await start();
    const orders = await h.consume("sales/orders");
    const headers = { ...JSON_TYPE, ...h.apiKey() };
    expectProblem(
      await send.send({ path: ORDERS, headers, body: '{"orderId": "ord-1",' }),
      400,
      "malformed-request",
    );
    expectProblem(
      await send.send({
        path: ORDERS,
        headers: { ...headers, "idempotency-key": '"unterminated' },
        body: JSON.stringify(order()),
      }),
      400,
      "malformed-request",
    );
    await orders.expectNothingPublished();
  });

  it("422 with every schema violation and its JSON pointer", async () => {
    const send = await start();
    const orders = await h.consume("sales/orders");
    const answer = await send.send({
      path: ORDERS,
      headers: { ...JSON_TYPE, ...h.apiKey() },
      body: JSON.stringify({
        orderId: "x-1",
        currency: "CHF",
        lines: [{ sku: "a", quantity: 0 }],
        coupon: "FREE",
      }),
    });
    expectProblem(answer, 422, "schema-violation");
    const errors = answer.json().errors as Array<{ pointer: string; keyword: string }>;
    expect(errors.map((e) => `${e.pointer} ${e.keyword}`).sort()).toEqual([
      "/coupon additionalProperties",
      "/currency enum",
      "/customerId required",
      "/lines/0/quantity minimum",
      "/orderId pattern",
    ]);
    await orders.expectNothingPublished();
  });

  it("503 no-consumer with Retry-After when the router gives no credit (no consumer) before the deadline", async () => {
    const send = await start({ publishDeadlineMs: 300 });
    const answer = await send.send({
      path: ORDERS,
      headers: { ...JSON_TYPE, ...h.apiKey() },
      body: JSON.stringify(order()),
    });
    expectProblem(answer, 503, "no-consumer");
    expect(Number(answer.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    // Nothing was sent: a consumer arriving now gets the sentinel first.
    const orders = await h.consume("sales/orders");
    await orders.expectNothingPublished();
  });

  it("502 with the router's description when the message is rejected", async () => {
    const send = await start();
    await h.consume("sales/orders", () => {
      throw new PermanentError("fulfilment closed for inventory");
    });
    const answer = await send.send({
      path: ORDERS,
      headers: { ...JSON_TYPE, ...h.apiKey() },
      body: JSON.stringify(order()),
    });
    expectProblem(answer, 502, "publish-rejected");
    expect(answer.json().detail).toContain("fulfilment closed for inventory");
  });
});
