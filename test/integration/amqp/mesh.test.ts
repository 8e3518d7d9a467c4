/**
 * The client against the router emulator (the platform's local mesh).
 *
 * Failover: a publisher on router a (urls [a, b]) sends 5,000
 * messages at-least-once to a consumer on router b; router a is stopped in the middle.
 * Every publish that resolved must have reached the consumer at least once; duplicates are
 * expected (at-least-once) and counted.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  BackPressureError,
  MeshClient,
  PermanentError,
  PublishRejectedError,
  RequestTimeoutError,
  RetryableError,
} from "../../../shared/amqp/index.ts";
import { address, startTestMesh, stopAllMeshes } from "../../support/local-mesh.ts";
import { waitFor } from "./helpers.ts";

const clients: MeshClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close(200);
  await stopAllMeshes();
});

describe("failover through the emulated mesh", () => {
  it("stopping the publisher's router mid-stream loses no resolved publish", async () => {
    const mesh = await startTestMesh({
      routers: [{ id: "a" }, { id: "b" }],
      links: [["a", "b", 1]],
      entities: { "*": [address("orders", "balanced")] },
    });
    const a = mesh.router("a");
    const b = mesh.router("b");
    const reconnect = { initialDelayMs: 20, maxDelayMs: 200 };
    const consumerClient = new MeshClient({ urls: [b.url], reconnect });
    const publisher = new MeshClient({ urls: [a.url, b.url], reconnect });
    clients.push(publisher, consumerClient);

    const received = new Map<string, number>();
    const consumer = consumerClient.consume(
      "orders/created",
      (m) => {
        const id = String(m.messageId);
        received.set(id, (received.get(id) ?? 0) + 1);
      },
      { prefetch: 200, concurrency: 50 },
    );
    await consumer.ready();
    await mesh.waitForAddress("orders/created", { router: "a" });
    await publisher.connect();
    expect(publisher.status.url).toBe(a.url);

    const total = 5_000;
    let resolvedCount = 0;
    const ids = Array.from({ length: total }, (_, i) => `order-${i}`);
    const outcomes = ids.map((id) =>
      publisher
        .publish("orders/created", { body: { id }, messageId: id }, { deadline: 20_000 })
        .then(
          () => {
            resolvedCount++;
            return true;
          },
          (error: unknown) => {
            console.log(`publish ${id} failed: ${String(error)}`);
            return false;
          },
        ),
    );
    await waitFor(() => resolvedCount >= total / 2, "half of the publishes to resolve", 20_000);
    const stoppedAt = resolvedCount;
    await a.stop();
    const results = await Promise.all(outcomes);
    const resolved = ids.filter((_, i) => results[i]);
    await waitFor(
      () => resolved.every((id) => received.has(id)),
      "every resolved publish to arrive",
      20_000,
    ).catch(() => {});
    const missing = resolved.filter((id) => !received.has(id));
    const duplicates = [...received.values()].reduce((n, c) => n + (c - 1), 0);
    console.log(
      `failover (emulator): router a stopped after ${stoppedAt} resolved; ${resolved.length}/${total} resolved, ` +
        `${received.size} distinct received, ${duplicates} duplicates, ${missing.length} missing; ` +
        `publisher now on ${publisher.status.url}`,
    );
    expect(missing).toEqual([]);
    expect(resolved).toHaveLength(total);
    expect(publisher.status.url).toBe(b.url);
  });
});

describe("outcomes through the emulated mesh, from both ends", () => {
  async function twoRouters() {
    const mesh = await startTestMesh({
      routers: [{ id: "a" }, { id: "b" }],
      links: [["a", "b", 1]],
      entities: { "*": [address("orders", "balanced")] },
    });
    const reconnect = { initialDelayMs: 20, maxDelayMs: 200 };
    const publisher = new MeshClient({ urls: [mesh.router("a").url], reconnect });
    const consumerClient = new MeshClient({ urls: [mesh.router("b").url], reconnect });
    clients.push(publisher, consumerClient);
    return { mesh, publisher, consumerClient };
  }

  it("no consumer: the router gives no credit and publish fails with BackPressureError at its deadline", async () => {
    const { publisher } = await twoRouters();
    const started = Date.now();
    const error = await publisher
      .publish("orders/nobody", { body: 1 }, { deadline: 300 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(BackPressureError);
    expect(error.message).toContain("no credit");
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("the consumer's rejection reaches the publisher as PublishRejectedError with its description", async () => {
    const { mesh, publisher, consumerClient } = await twoRouters();
    const consumer = consumerClient.consume("orders/bad", () => {
      throw new PermanentError("order has no lines");
    });
    await consumer.ready();
    await mesh.waitForAddress("orders/bad", { router: "a" });
    const error = await publisher
      .publish("orders/bad", { body: {}, messageId: "bad-1" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PublishRejectedError);
    expect(error.description).toBe("order has no lines");
    expect(consumer.stats.rejected).toBe(1);
  });

  it("a retryable failure (modified) is retried by the publisher with the same message id", async () => {
    const { mesh, publisher, consumerClient } = await twoRouters();
    const seen: string[] = [];
    const consumer = consumerClient.consume("orders/flaky", (m) => {
      seen.push(String(m.messageId));
      if (seen.length === 1) throw new RetryableError("database busy");
    });
    await consumer.ready();
    await mesh.waitForAddress("orders/flaky", { router: "a" });
    await publisher.publish("orders/flaky", { body: {}, messageId: "flaky-1" });
    expect(seen).toEqual(["flaky-1", "flaky-1"]);
    expect(consumer.stats).toMatchObject({ modified: 1, accepted: 1 });
  });
});

describe("request/response through the emulated router", () => {
  it("asks the router's $management with a dynamic reply address", async () => {
    const mesh = await startTestMesh({
      routers: [{ id: "a" }],
      entities: { a: [address("orders", "balanced")] },
    });
    const client = new MeshClient({ urls: [mesh.router("a").url] });
    clients.push(client);
    const reply = await client.request(
      "$management",
      {
        body: { attributeNames: ["prefix", "distribution"] },
        bodySection: "value",
        applicationProperties: {
          operation: "QUERY",
          type: "org.amqp.management",
          name: "self",
          entityType: "org.apache.qpid.dispatch.router.config.address",
        },
      },
      { timeoutMs: 5_000 },
    );
    expect(reply.applicationProperties.statusCode).toBe(200);
    expect(reply.body).toMatchObject({
      attributeNames: ["prefix", "distribution"],
      results: [["orders", "balanced"]],
    });
  });

  it("an RPC service built on consume + publish answers a request", async () => {
    const mesh = await startTestMesh({
      routers: [{ id: "a" }, { id: "b" }],
      links: [["a", "b", 1]],
      entities: { "*": [address("svc", "balanced")] },
    });
    const server = new MeshClient({ urls: [mesh.router("b").url] });
    const caller = new MeshClient({ urls: [mesh.router("a").url] });
    clients.push(server, caller);
    const service = server.consume("svc/upper", async (m) => {
      await server.publish(String(m.replyTo), {
        body: String(m.body).toUpperCase(),
        correlationId: m.messageId,
      });
    });
    await service.ready();
    await mesh.waitForAddress("svc/upper", { router: "a" });
    const reply = await caller.request("svc/upper", { body: "hello" }, { timeoutMs: 5_000 });
    expect(reply.body).toBe("HELLO");
  });

  it("no reply in time is a RequestTimeoutError", async () => {
    const mesh = await startTestMesh({
      routers: [{ id: "a" }],
      entities: { a: [address("svc", "balanced")] },
    });
    const client = new MeshClient({ urls: [mesh.router("a").url] });
    clients.push(client);
    // A consumer that accepts but never answers.
    const silent = client.consume("svc/echo", () => {});
    await silent.ready();
    await mesh.waitForAddress("svc/echo", { router: "a" });
    const error = await client.request("svc/echo", { body: 1 }, { timeoutMs: 200 }).catch((e) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error.reason).toBe("timeout");
  });
});
