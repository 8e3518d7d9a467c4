/**
 * The ingress over real HTTP (the local node:http adapter) in front of an emulated router,
 * per content mode: the payload schema (422) holds in every mode, with a valid envelope
 * around bad data; CloudEvents attribute names that are Object.prototype keys are refused
 * (400) and never published; Content-Type parameters quoted per RFC 9110 are read as such.
 * A consumer is attached to the channel throughout, and a refused request leaves it empty.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LocalMesh } from "../../../emulator/index.ts";
import { fromAmqpMessage } from "../../../shared/amqp/index.ts";
import { startTestMesh, stopAllMeshes } from "../../support/local-mesh.ts";
import { type Driver, type HttpAnswer, IngressHarness } from "./harness.ts";

const ORDERS = "/channels/sales%2Forders/messages";
const good = {
  orderId: "ord-1",
  customerId: "c-1",
  currency: "EUR",
  lines: [{ sku: "a", quantity: 1 }],
};
/** Two violations of sales/orders' schema: the id's pattern and a quantity below 1. */
const bad = {
  orderId: "x-1",
  customerId: "c-1",
  currency: "EUR",
  lines: [{ sku: "a", quantity: 0 }],
};
const envelope = (id: string, data: unknown) => ({
  specversion: "1.0",
  id,
  source: "/shop/web",
  type: "com.example.order.created",
  data,
});
const ceHeaders = (id: string) => ({
  "content-type": "application/json",
  "ce-specversion": "1.0",
  "ce-id": id,
  "ce-source": "/shop/web",
  "ce-type": "com.example.order.created",
});

let mesh: LocalMesh;
beforeAll(async () => {
  mesh = await startTestMesh({ routers: [{ id: "edge", mode: "interior" }] });
});
afterAll(stopAllMeshes);

function expectProblem(answer: HttpAnswer, status: number, type: string) {
  expect(answer.status, answer.body).toBe(status);
  expect(answer.headers["content-type"]).toBe("application/problem+json");
  const problem = answer.json();
  expect(problem.type).toBe(`urn:amqp-mesh:problem:${type}`);
  return problem;
}

const pointers = (errors: Array<{ pointer: string; keyword: string }>) =>
  errors.map((e) => `${e.pointer} ${e.keyword}`).sort();

describe("the ingress over HTTP, per content mode", () => {
  // A harness per test: its consumers leave with it, so each test's consumer is the only one.
  let h: IngressHarness;
  let http: Driver;
  beforeEach(async () => {
    h = await IngressHarness.start(mesh.router("edge").url);
    http = h.driver("local");
  });
  afterEach(async () => {
    await h?.close();
  });
  const send = (headers: Record<string, string>, body: string) =>
    http.send({ path: ORDERS, headers: { ...headers, ...h.apiKey() }, body });

  describe("422 in every content mode: a valid envelope around data the schema refuses", () => {
    it("plain JSON: 422 with both violations; nothing published; the same body made valid is 202", async () => {
      const probe = await h.consume("sales/orders");
      const problem = expectProblem(
        await send({ "content-type": "application/json" }, JSON.stringify(bad)),
        422,
        "schema-violation",
      );
      expect(pointers(problem.errors)).toEqual(["/lines/0/quantity minimum", "/orderId pattern"]);
      await probe.expectNothingPublished();
      expect(
        (await send({ "content-type": "application/json" }, JSON.stringify(good))).status,
      ).toBe(202);
      await probe.waitFor(2);
    });

    it("binary CloudEvent: 422 with pointers into the body; nothing published; valid data under the same headers is 202", async () => {
      const probe = await h.consume("sales/orders");
      const problem = expectProblem(
        await send(ceHeaders("bin-bad"), JSON.stringify(bad)),
        422,
        "schema-violation",
      );
      expect(pointers(problem.errors)).toEqual(["/lines/0/quantity minimum", "/orderId pattern"]);
      await probe.expectNothingPublished();
      expect((await send(ceHeaders("bin-good"), JSON.stringify(good))).status).toBe(202);
      const [, published] = await probe.waitFor(2);
      expect(fromAmqpMessage(published).id).toBe("bin-good");
    });

    it("structured CloudEvent: 422 with pointers under /data; nothing published; the envelope with valid data is 202", async () => {
      const probe = await h.consume("sales/orders");
      const structured = { "content-type": "application/cloudevents+json" };
      const problem = expectProblem(
        await send(structured, JSON.stringify(envelope("str-bad", bad))),
        422,
        "schema-violation",
      );
      expect(pointers(problem.errors)).toEqual([
        "/data/lines/0/quantity minimum",
        "/data/orderId pattern",
      ]);
      await probe.expectNothingPublished();
      expect((await send(structured, JSON.stringify(envelope("str-good", good)))).status).toBe(202);
      const [, published] = await probe.waitFor(2);
      expect(fromAmqpMessage(published).id).toBe("str-good");
    });

    it("CloudEvents batch: every item 422 → batch-invalid listing each item's violations; nothing published", async () => {
      const probe = await h.consume("sales/orders");
      const batch = { "content-type": "application/cloudevents-batch+json" };
      const problem = expectProblem(
        await send(batch, JSON.stringify([envelope("b-0", bad), envelope("b-1", bad)])),
        422,
        "batch-invalid",
      );
      expect(problem.items.map((i: { status: number }) => i.status)).toEqual([422, 422]);
      expect(pointers(problem.items[1].problem.errors)).toEqual([
        "/1/data/lines/0/quantity minimum",
        "/1/data/orderId pattern",
      ]);
      await probe.expectNothingPublished();
      // One good item beside a bad one: 207, and only the good one arrives.
      const mixed = await send(
        batch,
        JSON.stringify([envelope("b-2", bad), envelope("b-3", good)]),
      );
      expect(mixed.status, mixed.body).toBe(207);
      expect(mixed.json().items.map((i: { status: number }) => i.status)).toEqual([422, 202]);
      const [, published] = await probe.waitFor(2);
      expect(fromAmqpMessage(published).id).toBe("b-3");
    });
  });

  describe("CloudEvents attribute names that are Object.prototype keys", () => {
    it("binary `ce-__proto__`: 400 naming it; nothing published", async () => {
      const probe = await h.consume("sales/orders");
      const problem = expectProblem(
        await send({ ...ceHeaders("proto-1"), "ce-__proto__": "x" }, JSON.stringify(good)),
        400,
        "malformed-request",
      );
      expect(problem.detail).toContain("__proto__");
      await probe.expectNothingPublished();
    });

    it("structured `__proto__`: 400 naming it; a batch holding it: that item 400; nothing published", async () => {
      const probe = await h.consume("sales/orders");
      const event = JSON.stringify(envelope("proto-2", good)).replace(/}$/, ',"__proto__":"x"}');
      const single = expectProblem(
        await send({ "content-type": "application/cloudevents+json" }, event),
        400,
        "malformed-request",
      );
      expect(single.detail).toContain("__proto__");
      const batch = expectProblem(
        await send({ "content-type": "application/cloudevents-batch+json" }, `[${event}]`),
        422,
        "batch-invalid",
      );
      expect(batch.items[0].status).toBe(400);
      expect(batch.items[0].problem.detail).toContain("__proto__");
      await probe.expectNothingPublished();
    });

    it("`ce-constructor` and `ce-prototype` are valid names: 202, and the consumer reads them", async () => {
      const probe = await h.consume("sales/orders");
      const answer = await send(
        { ...ceHeaders("proto-3"), "ce-constructor": "c", "ce-prototype": "p" },
        JSON.stringify(good),
      );
      expect(answer.status, answer.body).toBe(202);
      const [message] = await probe.waitFor(1);
      const event = fromAmqpMessage(message);
      expect([event.constructor, event.prototype]).toEqual(["c", "p"]);
    });
  });

  describe("Content-Type parameters quoted per RFC 9110", () => {
    it('`application/json; foo="a;charset=latin1"`: 202, published with that content type', async () => {
      const probe = await h.consume("sales/orders");
      const contentType = 'application/json; foo="a;charset=latin1"';
      const answer = await send({ "content-type": contentType }, JSON.stringify(good));
      expect(answer.status, answer.body).toBe(202);
      const [message] = await probe.waitFor(1);
      expect(message?.contentType).toBe(contentType);
      expect(message?.body).toEqual(good);
    });

    it("a Content-Type that is no media type: 415 saying what is wrong; nothing published", async () => {
      const probe = await h.consume("sales/orders");
      const problem = expectProblem(
        await send({ "content-type": "application/" }, JSON.stringify(good)),
        415,
        "unsupported-media-type",
      );
      expect(problem.detail).toMatch(/not a media type: .*subtype/);
      await probe.expectNothingPublished();
    });
  });
});
