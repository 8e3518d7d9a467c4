/**
 * What differs per platform, over the same emulated router: API Gateway's authorizer and
 * Lambda's remaining time, Powertools metrics; Azure function keys and the App Service
 * principal; the local server's streamed bodies; and the core's other answers (no route,
 * publish timeout, remote JWKS, trace context).
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LocalMesh } from "../../../emulator/index.ts";
import { RetryableError } from "../../../shared/amqp/index.ts";
import type { RouterEntity } from "../../../shared/router-config/index.ts";
import { startTestMesh, stopAllMeshes } from "../../support/local-mesh.ts";
import { IngressHarness } from "./harness.ts";

const ORDERS = "/channels/sales%2Forders/messages";
const ORDER = JSON.stringify({
  orderId: "ord-1",
  customerId: "c",
  lines: [{ sku: "s", quantity: 1 }],
});
const JSON_TYPE = { "content-type": "application/json" };

// billing/invoices is link-routed to a broker whose connector points at a closed port.
const unreachableBroker: RouterEntity[] = [
  {
    type: "connector",
    attributes: { name: "rabbit", host: "127.0.0.1", port: "1", role: "route-container" },
  },
  ...(["in", "out"] as const).map(
    (direction): RouterEntity => ({
      type: "linkRoute",
      attributes: {
        name: `invoices-${direction}`,
        prefix: "billing/invoices",
        direction,
        connection: "rabbit",
      },
    }),
  ),
];

let mesh: LocalMesh;
let url: string;
let h: IngressHarness;
beforeAll(async () => {
  mesh = await startTestMesh({ routers: [{ id: "edge" }], entities: { edge: unreachableBroker } });
  url = mesh.router("edge").url;
});
afterEach(async () => {
  await h?.close();
});
afterAll(stopAllMeshes);

describe("Lambda adapter", () => {
  it("trusts the principal of API Gateway's JWT authorizer, and emits Powertools metrics", async () => {
    h = await IngressHarness.start(url);
    const orders = await h.consume("sales/orders");
    const lambda = h.driver("lambda");
    const answer = await lambda.send({
      path: ORDERS,
      headers: JSON_TYPE,
      body: ORDER,
      authorizerSub: "sales-api",
    });
    expect(answer.status, answer.body).toBe(202);
    await orders.waitFor(1);
    const emf = h.metricsOutput
      .map((line) => JSON.parse(line))
      .find((doc) => doc._aws !== undefined);
    expect(emf).toMatchObject({ Accepted: 1, MessagesPublished: 1, service: "ingress" });
    const denied = await lambda.send({
      path: ORDERS,
      headers: JSON_TYPE,
      body: ORDER,
      authorizerSub: "logistics-tracker",
    });
    expect(denied.status).toBe(403);
  });

  it("reads a base64-encoded body (API Gateway's isBase64Encoded)", async () => {
    h = await IngressHarness.start(url);
    const orders = await h.consume("sales/orders");
    const answer = await h.driver("lambda").send({
      path: ORDERS,
      headers: { ...JSON_TYPE, ...h.apiKey() },
      body: new TextEncoder().encode(ORDER),
    });
    expect(answer.status, answer.body).toBe(202);
    const [received] = await orders.waitFor(1);
    expect(received?.body).toEqual(JSON.parse(ORDER));
  });

  it("fits the publish deadline into the function's remaining time, and answers 503 when none is left", async () => {
    h = await IngressHarness.start(url, { publishDeadlineMs: 20_000 });
    const lambda = h.driver("lambda");
    const headers = { ...JSON_TYPE, ...h.apiKey() };
    const started = Date.now();
    // No consumer: the publish waits for credit until its deadline, 800 - 500 ms margin.
    const squeezed = await lambda.send({ path: ORDERS, headers, body: ORDER, remainingMs: 800 });
    expect(squeezed.status, squeezed.body).toBe(503);
    expect(Date.now() - started).toBeLessThan(800);
    const none = await lambda.send({ path: ORDERS, headers, body: ORDER, remainingMs: 400 });
    expect(none.status).toBe(503);
    expect(none.json().type).toBe("urn:amqp-mesh:problem:deadline-exceeded");
    expect(none.headers["retry-after"]).toBe("1");
  });
});

describe("Azure adapter", () => {
  it("takes a function key in x-functions-key as an API key (never ?code=: caller-auth.test.ts)", async () => {
    h = await IngressHarness.start(url);
    const orders = await h.consume("sales/orders");
    const azure = h.driver("azure");
    const key = h.keys["sales-api"] as string;
    const byHeader = await azure.send({
      path: ORDERS,
      headers: { ...JSON_TYPE, "x-functions-key": key },
      body: ORDER,
    });
    expect(byHeader.status, byHeader.body).toBe(202);
    await orders.waitFor(1);
  });

  it("trusts the App Service authentication principal only when that authentication is on", async () => {
    h = await IngressHarness.start(url);
    const orders = await h.consume("sales/orders");
    const principal = Buffer.from(
      JSON.stringify({ auth_typ: "aad", claims: [], name_typ: "name" }),
    ).toString("base64");
    const headers = {
      ...JSON_TYPE,
      "x-ms-client-principal": principal,
      "x-ms-client-principal-name": "sales-api",
      "x-ms-client-principal-id": "00000000-0000-0000-0000-000000000001",
      "x-ms-client-principal-idp": "aad",
    };
    const off = await h.driver("azure").send({ path: ORDERS, headers, body: ORDER });
    expect(off.status).toBe(401);
    await orders.expectNothingPublished();
    const on = await h
      .driver("azure", { trustAppServiceAuth: true })
      .send({ path: ORDERS, headers, body: ORDER });
    expect(on.status, on.body).toBe(202);
  });
});

/** A chunked POST (no Content-Length) to the local server; resolves with status and body. */
function chunkedPost(
  target: string,
  headers: Record<string, string>,
  chunks: string[],
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(target, { method: "POST", headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe("local adapter", () => {
  it("stops reading a streamed body as soon as it passes maxMessageSize: 413", async () => {
    h = await IngressHarness.start(url);
    const orders = await h.consume("sales/orders");
    const local = h.driver("local");
    await local.send({ method: "GET", path: "/", headers: {} }); // starts the server
    const server = h.localServerUrl as string;
    const chunk = "x".repeat(16_384);
    const answer = await chunkedPost(`${server}${ORDERS}`, { ...JSON_TYPE, ...h.apiKey() }, [
      `{"pad":"${chunk}`,
      chunk,
      chunk,
      chunk,
      `${chunk}"}`,
    ]);
    expect(answer.status, answer.body).toBe(413);
    await orders.expectNothingPublished();
  });
});

describe("core answers", () => {
  it("503 no-route when the channel's broker link route has no connection", async () => {
    h = await IngressHarness.start(url, { publishDeadlineMs: 400 });
    const answer = await h.driver("local").send({
      path: "/channels/billing%2Finvoices/messages",
      headers: { ...JSON_TYPE, ...h.apiKey() },
      body: JSON.stringify({ invoiceId: "i-1", orderId: "ord-1", amount: 10 }),
    });
    expect(answer.status, answer.body).toBe(503);
    expect(answer.json().type).toBe("urn:amqp-mesh:problem:no-route");
    expect(answer.json().detail).toContain("qd:no-route-to-dest");
    expect(Number(answer.headers["retry-after"])).toBeGreaterThanOrEqual(1);
  });

  it("504 when the router keeps releasing the message until the deadline", async () => {
    h = await IngressHarness.start(url, { publishDeadlineMs: 500 });
    const orders = await h.consume("sales/orders", () => {
      throw new RetryableError("not now", { release: true });
    });
    const answer = await h
      .driver("local")
      .send({ path: ORDERS, headers: { ...JSON_TYPE, ...h.apiKey() }, body: ORDER });
    expect(answer.status, answer.body).toBe(504);
    expect(answer.json().detail).toMatch(/Idempotency-Key/);
    expect(orders.received.length).toBeGreaterThan(0); // it did reach the consumer, which let it go
  });

  it("continues the caller's W3C trace: the message carries the request's trace id", async () => {
    h = await IngressHarness.start(url);
    const orders = await h.consume("sales/orders");
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const answer = await h
      .driver("local")
      .send({ path: ORDERS, headers: { ...JSON_TYPE, ...h.apiKey(), traceparent }, body: ORDER });
    expect(answer.status).toBe(202);
    const [received] = await orders.waitFor(1);
    expect(String(received?.applicationProperties.traceparent)).toMatch(
      /^00-0af7651916cd43dd8448eb211c80319c-/,
    );
  });

  it("fetches the issuer's keys from its JWKS URL; 503 while that endpoint is down", async () => {
    let jwks = "";
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(jwks);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`;
    try {
      h = await IngressHarness.start(url, { jwksUrl });
      jwks = JSON.stringify({ keys: [h.publicJwk] });
      const orders = await h.consume("sales/orders");
      const token = await h.token();
      const ok = await h.driver("local").send({
        path: ORDERS,
        headers: { ...JSON_TYPE, authorization: `Bearer ${token}` },
        body: ORDER,
      });
      expect(ok.status, ok.body).toBe(202);
      await orders.waitFor(1);
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    await h.close();
    h = await IngressHarness.start(url, { jwksUrl });
    const down = await h.driver("local").send({
      path: ORDERS,
      headers: { ...JSON_TYPE, authorization: `Bearer ${await h.token()}` },
      body: ORDER,
    });
    expect(down.status, down.body).toBe(503);
    expect(down.json().type).toBe("urn:amqp-mesh:problem:identity-provider-unavailable");
  });
});
