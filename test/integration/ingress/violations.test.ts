/**
 * A 422 names what is wrong without growing with it: a payload within the channel's size limit
 * can break its schema thousands of times (one violation per unknown member), and listing them
 * all turned a 60 KB request into a 600 KB answer. Through the local adapter, against an
 * emulated router with a consumer: nothing is published.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LocalMesh } from "../../../emulator/index.ts";
import { MAX_LISTED_VIOLATIONS } from "../../../shared/ingress/ingress.ts";
import { startTestMesh, stopAllMeshes } from "../../support/local-mesh.ts";
import { IngressHarness } from "./harness.ts";

const ORDERS = "/channels/sales%2Forders/messages";
const JSON_TYPE = { "content-type": "application/json" };

/** An order with `extra` members the schema forbids (additionalProperties: false). */
function orderWithExtras(extra: number, tag = 0): Record<string, unknown> {
  const order: Record<string, unknown> = {
    orderId: "ord-1",
    customerId: "c-1",
    lines: [{ sku: "s", quantity: 1 }],
  };
  for (let i = 0; i < extra; i++) order[`x${i}`] = tag;
  return order;
}

let mesh: LocalMesh;
let h: IngressHarness;
beforeAll(async () => {
  mesh = await startTestMesh({ routers: [{ id: "edge" }] });
});
afterEach(async () => {
  await h?.close();
});
afterAll(stopAllMeshes);

describe("schema violations in a 422 are bounded", () => {
  it(`one message: the count of all violations, the first ${MAX_LISTED_VIOLATIONS} listed`, async () => {
    h = await IngressHarness.start(mesh.router("edge").url);
    const orders = await h.consume("sales/orders");
    const body = JSON.stringify(orderWithExtras(5_000));
    expect(body.length).toBeLessThan(65_536);
    const answer = await h
      .driver("local")
      .send({ path: ORDERS, headers: { ...JSON_TYPE, ...h.apiKey() }, body });
    expect(answer.status, answer.body.slice(0, 300)).toBe(422);
    const problem = answer.json();
    expect(problem.detail).toBe(
      `5000 violations of the channel's payload schema; the first ${MAX_LISTED_VIOLATIONS} are listed`,
    );
    expect(problem.errors).toHaveLength(MAX_LISTED_VIOLATIONS);
    expect(problem.errors[0]).toMatchObject({ pointer: "/x0", keyword: "additionalProperties" });
    expect(answer.body.length).toBeLessThan(4_096);
    await orders.expectNothingPublished();
  });

  it("a batch of 100 such items: each item's list bounded, the answer a small multiple of the request", async () => {
    h = await IngressHarness.start(mesh.router("edge").url);
    const orders = await h.consume("sales/orders");
    const body = JSON.stringify(Array.from({ length: 100 }, (_, i) => orderWithExtras(50, i)));
    const answer = await h
      .driver("local")
      .send({ path: ORDERS, headers: { ...JSON_TYPE, ...h.apiKey() }, body });
    expect(answer.status, answer.body.slice(0, 300)).toBe(422);
    const items = answer.json().items as Array<{ problem: { errors: unknown[]; detail: string } }>;
    expect(items).toHaveLength(100);
    for (const item of items) {
      expect(item.problem.errors).toHaveLength(MAX_LISTED_VIOLATIONS);
      expect(item.problem.detail).toMatch(/^50 violations/);
    }
    expect(answer.body.length).toBeLessThan(4 * body.length);
    await orders.expectNothingPublished();
  });
});
