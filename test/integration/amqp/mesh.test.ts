/**
 * Failover needs failure injection, so it runs on the router emulator only (the outcome
 * checks that also run on real routers are in target.test.ts).
 *
 * Failover: a publisher on router a (urls [a, b]) sends 5,000
 * messages at-least-once to a consumer on router b; router a is stopped in the middle.
 * Every publish that resolved must have reached the consumer at least once; duplicates are
 * expected (at-least-once) and counted.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MeshClient } from "../../../shared/amqp/index.ts";
import { address, startTestMesh, stopAllMeshes } from "../../support/local-mesh.ts";
import { waitFor } from "../../support/wait.ts";
import { closeTracked, track } from "./helpers.ts";

afterEach(async () => {
  await closeTracked();
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
    const consumerClient = track(new MeshClient({ urls: [b.url], reconnect }), 200);
    const publisher = track(new MeshClient({ urls: [a.url, b.url], reconnect }), 200);

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
    await waitFor(() => resolvedCount >= total / 2, {
      timeout: 20_000,
      what: "half of the publishes to resolve",
    });
    const stoppedAt = resolvedCount;
    await a.stop();
    const results = await Promise.all(outcomes);
    const resolved = ids.filter((_, i) => results[i]);
    await waitFor(() => resolved.every((id) => received.has(id)), {
      timeout: 20_000,
      what: "every resolved publish to arrive",
    }).catch(() => {});
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
