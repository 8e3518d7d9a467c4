/**
 * One producer cannot suppress another's messages (issue 23): message ids are scoped by
 * channel and authenticated producer. Through the real ingress on an emulated router, two
 * callers sending the same Idempotency-Key publish different message ids, and a queued
 * trigger with the Redis idempotency store (127.0.0.1:6379) runs both; the same caller's
 * retry is still run once. Raw AMQP producers that set their user-id (what routers verify)
 * are kept apart the same way.
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LocalMesh } from "../../../emulator/index.ts";
import { connectRedisIdempotencyGuard } from "../../../functions/idempotency/index.ts";
import { type DeliveryInfo, MeshClient, type ReceivedMessage } from "../../../shared/amqp/index.ts";
import { runtimeValidators } from "../../../shared/registry-snapshot/index.ts";
import {
  channelCatalog,
  defineChannelHandler,
  recordOfMessage,
  runQueuedBatch,
  type TriggerRecord,
  triggerContext,
} from "../../../shared/trigger/index.ts";
import { closeAllClients, connectClient } from "../../support/amqp-client.ts";
import { startTestMesh, stopAllMeshes } from "../../support/local-mesh.ts";
import { IN_CI } from "../../support/rabbitmq.ts";
import { probeRedis, REDIS_URL, requireRedis } from "../../support/redis.ts";
import { waitFor } from "../../support/wait.ts";
import { exampleSnapshot } from "../../unit/trigger/snapshot.ts";
import { IngressHarness } from "../ingress/harness.ts";
import { order, orderMessage } from "./harness.ts";

const redis = await probeRedis();
const ORDERS = "/channels/sales%2Forders/messages";
const catalog = channelCatalog(exampleSnapshot(), runtimeValidators());
const context = triggerContext({
  platform: "local",
  mode: "queued",
  publish: async () => ({ messageId: "x" }),
  log: () => {},
});

let mesh: LocalMesh;
let h: IngressHarness;
const closers: Array<() => Promise<void>> = [];
const received: Array<{ message: ReceivedMessage; info: DeliveryInfo }> = [];

beforeAll(async () => {
  mesh = await startTestMesh({ routers: [{ id: "edge" }] });
  h = await IngressHarness.start(mesh.router("edge").url);
  const consumer = new MeshClient({ urls: [mesh.router("edge").url] });
  closers.push(() => consumer.close(100));
  const c = consumer.consume("sales/orders", (message, info) => {
    received.push({ message, info });
  });
  await c.ready();
});
afterEach(() => {
  received.splice(0);
});
afterAll(async () => {
  for (const close of closers) await close();
  await h.close();
  await closeAllClients();
  await stopAllMeshes();
});

/** The queued trigger over `records`, guarded by Redis; resolves with the order ids it ran. */
async function runGuarded(keyPrefix: string, records: TriggerRecord[]): Promise<string[]> {
  const ran: string[] = [];
  const definition = defineChannelHandler<{ orderId: string }>({
    channel: "sales/orders",
    handler(batch) {
      ran.push(...batch.map((m) => m.payload.orderId));
    },
  });
  const store = await connectRedisIdempotencyGuard(REDIS_URL, { keyPrefix });
  try {
    const outcome = await runQueuedBatch(definition, "sales/orders", records, {
      catalog,
      context,
      idempotency: store.guard,
    });
    expect(outcome.failures).toEqual([]);
  } finally {
    await store.close();
  }
  return ran;
}

/** What arrived, as the records a queued trigger gets. */
function records(): TriggerRecord[] {
  return received.map(({ message, info }, i) =>
    recordOfMessage(message, String(i), 1, info.userId),
  );
}

describe("idempotency scoped by channel and producer", () => {
  it("the ingress scopes a caller's Idempotency-Key under its principal; a retry keeps its id", async () => {
    const key = `order-${randomUUID()}`;
    const send = async (auth: Record<string, string>) =>
      h.driver("lambda").send({
        path: ORDERS,
        headers: { "content-type": "application/json", "idempotency-key": key, ...auth },
        body: JSON.stringify(order(1)),
      });
    const victim = await send(h.apiKey("sales-api"));
    const other = await send({
      authorization: `Bearer ${await h.token({ sub: "sales-ingress" })}`,
    });
    const retry = await send(h.apiKey("sales-api"));
    for (const answer of [victim, other, retry]) expect(answer.status, answer.body).toBe(202);
    expect(victim.json().messageId).toBe(`sales-api/${key}`);
    expect(other.json().messageId).toBe(`sales-ingress/${key}`);
    expect(retry.json().messageId).toBe(victim.json().messageId);
    await waitFor(() => received.length === 3, { what: "three messages" });
    expect(received.map((r) => r.message.messageId)).toEqual([
      `sales-api/${key}`,
      `sales-ingress/${key}`,
      `sales-api/${key}`,
    ]);
  });

  it.skipIf(!redis.reachable && !IN_CI)(
    `two callers with the same key both run in a queued trigger; one caller's retry runs once (Redis ${redis.reason || "reachable"})`,
    async () => {
      requireRedis(redis);
      const key = "order-4711";
      const send = async (auth: Record<string, string>, n: number) =>
        h.driver("azure").send({
          path: ORDERS,
          headers: { "content-type": "application/json", "idempotency-key": key, ...auth },
          body: JSON.stringify(order(n)),
        });
      // The attacker goes first with the victim's id, then the victim, then the victim's retry.
      expect(
        (await send({ authorization: `Bearer ${await h.token({ sub: "sales-ingress" })}` }, 1))
          .status,
      ).toBe(202);
      expect((await send(h.apiKey("sales-api"), 2)).status).toBe(202);
      expect((await send(h.apiKey("sales-api"), 2)).status).toBe(202);
      await waitFor(() => received.length === 3, { what: "three messages" });
      const prefix = `test-producer-scope-${randomUUID()}`;
      const all = records();
      expect(await runGuarded(prefix, all.slice(0, 2))).toEqual(["ord-1", "ord-2"]);
      // The victim's retry, in a later delivery: done already.
      expect(await runGuarded(prefix, all.slice(2))).toEqual([]);
    },
  );

  it.skipIf(!redis.reachable && !IN_CI)(
    `raw AMQP producers with their own user-id: the same message id from each runs; a resend runs once (Redis ${redis.reason || "reachable"})`,
    async () => {
      requireRedis(redis);
      const id = `shared-${randomUUID()}`;
      for (const [user, n] of [
        ["mallory-bot", 1],
        ["sales-api", 2],
        ["sales-api", 2],
      ] as const) {
        const producer = await connectClient(mesh.router("edge").url);
        const sender = await producer.sender("sales/orders");
        await sender.waitForCredit(1);
        const sent = await sender.sendAndWait({
          ...orderMessage(order(n), id),
          user_id: user,
        });
        expect(sent.outcome).toBe("accepted");
      }
      await waitFor(() => received.length === 3, { what: "three messages" });
      expect(received.map((r) => r.info.userId)).toEqual(["mallory-bot", "sales-api", "sales-api"]);
      const prefix = `test-producer-scope-${randomUUID()}`;
      const all = records();
      expect(await runGuarded(prefix, all.slice(0, 2))).toEqual(["ord-1", "ord-2"]);
      expect(await runGuarded(prefix, all.slice(2))).toEqual([]);
    },
  );
});
