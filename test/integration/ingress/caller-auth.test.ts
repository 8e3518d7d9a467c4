/**
 * Who may call the ingress, through the real adapters (API Gateway v2 events into the Lambda
 * handler, Azure HttpRequests into the v4 handler) over an emulated router: tokens that
 * never expire are refused, a broken issuer's JWKS endpoint is asked at most once per
 * backoff window, App Service principals count only from allowed identity providers, and
 * an API key in the URL (`?code=`) is never taken.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LocalMesh } from "../../../emulator/index.ts";
import { startTestMesh, stopAllMeshes } from "../../support/local-mesh.ts";
import { waitFor } from "../../support/wait.ts";
import { ADAPTERS, IngressHarness } from "./harness.ts";

const ORDERS = "/channels/sales%2Forders/messages";
const ORDER = JSON.stringify({
  orderId: "ord-1",
  customerId: "c",
  lines: [{ sku: "s", quantity: 1 }],
});
const JSON_TYPE = { "content-type": "application/json" };

let mesh: LocalMesh;
let url: string;
let h: IngressHarness | undefined;
beforeAll(async () => {
  mesh = await startTestMesh({ routers: [{ id: "edge" }] });
  url = mesh.router("edge").url;
});
afterEach(async () => {
  await h?.close();
  h = undefined;
});
afterAll(stopAllMeshes);

const now = () => Math.floor(Date.now() / 1000);

describe("JWT lifetime", () => {
  it("refuses a token without 'exp' on every adapter (401 saying so), publishes nothing", async () => {
    const harness = await IngressHarness.start(url);
    h = harness;
    const orders = await harness.consume("sales/orders");
    const forever = await harness.token({ exp: null });
    for (const adapter of ADAPTERS) {
      const answer = await harness.driver(adapter).send({
        path: ORDERS,
        headers: { ...JSON_TYPE, authorization: `Bearer ${forever}` },
        body: ORDER,
      });
      expect(answer.status, `${adapter}: ${answer.body}`).toBe(401);
      expect(answer.json().type).toBe("urn:amqp-mesh:problem:unauthenticated");
      expect(answer.json().detail).toMatch(/'exp'/);
      expect(answer.headers["www-authenticate"]).toMatch(/invalid_token/);
    }
    await orders.expectNothingPublished();
  });

  it("with a maximum age, takes a token without 'exp' by its 'iat' until it is too old", async () => {
    const harness = await IngressHarness.start(url, { jwt: { maxTokenAgeSeconds: 600 } });
    h = harness;
    const orders = await harness.consume("sales/orders");
    const lambda = harness.driver("lambda");
    const send = async (claims: { exp?: number | null; iat?: number | null }) =>
      lambda.send({
        path: ORDERS,
        headers: { ...JSON_TYPE, authorization: `Bearer ${await harness.token(claims)}` },
        body: ORDER,
      });
    const fresh = await send({ exp: null, iat: now() - 60 });
    expect(fresh.status, fresh.body).toBe(202);
    const old = await send({ exp: null, iat: now() - 3_600 });
    expect(old.status, old.body).toBe(401);
    expect(old.json().detail).toMatch(/older than 600 s|too old/);
    const neither = await send({ exp: null, iat: null });
    expect(neither.status, neither.body).toBe(401);
    expect(neither.json().detail).toMatch(/'iat'/);
    await orders.waitFor(1);
    expect(orders.received).toHaveLength(1);
  });
});

describe("a broken issuer's JWKS endpoint", () => {
  it("is fetched at most once per backoff window; requests in between get a 503 with the reason", async () => {
    let hits = 0;
    let keys: string | undefined;
    const server: Server = createServer((_req, res) => {
      hits++;
      if (keys === undefined) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end("down");
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(keys);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`;
    try {
      const harness = await IngressHarness.start(url, {
        jwksUrl,
        jwt: { jwksBackoffSeconds: 2 },
      });
      h = harness;
      const orders = await harness.consume("sales/orders");
      const token = await harness.token();
      const send = () =>
        harness.driver("lambda").send({
          path: ORDERS,
          headers: { ...JSON_TYPE, authorization: `Bearer ${token}` },
          body: ORDER,
        });
      for (let i = 0; i < 5; i++) {
        const answer = await send();
        expect(answer.status, answer.body).toBe(503);
        expect(answer.json().type).toBe("urn:amqp-mesh:problem:identity-provider-unavailable");
        expect(answer.json().detail).toMatch(/200 OK/);
        expect(Number(answer.headers["retry-after"])).toBeGreaterThanOrEqual(1);
        expect(Number(answer.headers["retry-after"])).toBeLessThanOrEqual(2);
      }
      expect(hits).toBe(1);
      // The issuer recovers: the first request after the window fetches again, and passes.
      keys = JSON.stringify({ keys: [harness.publicJwk] });
      await waitFor(async () => (await send()).status === 202, {
        timeout: 10_000,
        interval: 100,
        what: "a request accepted after the backoff window",
      });
      expect(hits).toBe(2);
      await orders.waitFor(1);
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  });
});

/** App Service authentication's headers for a signed-in user of `provider`. */
function appServiceHeaders(provider: string, name: string): Record<string, string> {
  const principal = Buffer.from(
    JSON.stringify({ auth_typ: provider, claims: [], name_typ: "name", role_typ: "roles" }),
  ).toString("base64");
  return {
    ...JSON_TYPE,
    "x-ms-client-principal": principal,
    "x-ms-client-principal-name": name,
    "x-ms-client-principal-id": "00000000-0000-0000-0000-000000000001",
    "x-ms-client-principal-idp": provider,
  };
}

describe("Azure App Service principals", () => {
  it("counts only the Entra ID provider by default: a GitHub user named like a principal gets 401", async () => {
    const harness = await IngressHarness.start(url);
    h = harness;
    const orders = await harness.consume("sales/orders");
    const azure = harness.driver("azure", { trustAppServiceAuth: true });
    const github = await azure.send({
      path: ORDERS,
      headers: appServiceHeaders("github", "sales-api"),
      body: ORDER,
    });
    expect(github.status, github.body).toBe(401);
    expect(github.json().detail).toMatch(/'github'/);
    await orders.expectNothingPublished();
    const entra = await azure.send({
      path: ORDERS,
      headers: appServiceHeaders("aad", "sales-api"),
      body: ORDER,
    });
    expect(entra.status, entra.body).toBe(202);
  });

  it("takes the providers a setting lists", async () => {
    const harness = await IngressHarness.start(url, { platformIdentityProviders: ["github"] });
    h = harness;
    await harness.consume("sales/orders");
    const azure = harness.driver("azure", { trustAppServiceAuth: true });
    const github = await azure.send({
      path: ORDERS,
      headers: appServiceHeaders("github", "sales-api"),
      body: ORDER,
    });
    expect(github.status, github.body).toBe(202);
    const entra = await azure.send({
      path: ORDERS,
      headers: appServiceHeaders("aad", "sales-api"),
      body: ORDER,
    });
    expect(entra.status, entra.body).toBe(401);
  });
});

describe("Azure function keys", () => {
  it("never takes a key from the URL (?code=), where access logs keep it", async () => {
    const harness = await IngressHarness.start(url);
    h = harness;
    const orders = await harness.consume("sales/orders");
    const key = harness.keys["sales-api"] as string;
    const azure = harness.driver("azure");
    const byQuery = await azure.send({
      path: `${ORDERS}?code=${encodeURIComponent(key)}`,
      headers: JSON_TYPE,
      body: ORDER,
    });
    expect(byQuery.status, byQuery.body).toBe(401);
    expect(byQuery.json().detail).toMatch(/x-api-key/);
    await orders.expectNothingPublished();
    const byHeader = await azure.send({
      path: ORDERS,
      headers: { ...JSON_TYPE, "x-functions-key": key },
      body: ORDER,
    });
    expect(byHeader.status, byHeader.body).toBe(202);
  });
});
