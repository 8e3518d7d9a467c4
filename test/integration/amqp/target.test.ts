/**
 * The client's outcomes through a router network, asserted from both ends: the emulator by
 * default, or the real routers a MESH_TARGET file names (see test/conformance/README.md).
 * Publisher and consumer sit on different interior routers when the target has them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BackPressureError,
  MeshClient,
  NoConsumerError,
  PermanentError,
  PublishRejectedError,
  PublishTimeoutError,
  RequestTimeoutError,
  RetryableError,
} from "../../../shared/amqp/index.ts";
import {
  closeTarget,
  openTarget,
  type Target,
  uniqueAddress,
  waitForConsumers,
} from "../../conformance/target.ts";
import { waitFor } from "../../support/wait.ts";

let target: Target;
const clients: MeshClient[] = [];
const reconnect = { initialDelayMs: 20, maxDelayMs: 500 };

beforeAll(async () => {
  target = await openTarget();
});
afterAll(async () => {
  for (const c of clients.splice(0)) await c.close(500);
  await closeTarget();
});

/** Publisher on the first interior router, consumer on the second (or the same). */
function routers(): { from: string; to: string; fromUrl: string; toUrl: string } {
  const interiors = target.routers.filter((r) => r.mode === "interior");
  const from = interiors[0] ?? target.routers[0]!;
  const to = interiors[1] ?? from;
  return { from: from.id, to: to.id, fromUrl: from.url, toUrl: to.url };
}

function client(url: string): MeshClient {
  const c = new MeshClient({ urls: [url], reconnect });
  clients.push(c);
  return c;
}

describe(`outcomes through the mesh (${process.env.MESH_TARGET ? "MESH_TARGET" : "emulator"})`, () => {
  it("no consumer: the router gives the link no credit, and publish fails with NoConsumerError (not back-pressure) at its deadline", async () => {
    const { fromUrl } = routers();
    const address = uniqueAddress(target.prefixes.balanced, "nobody");
    const error = await client(fromUrl)
      .publish(address, { body: 1 }, { deadline: 3_000 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(NoConsumerError);
    expect(error).not.toBeInstanceOf(BackPressureError);
    expect(error.message).toContain(address);
    expect(error.message).toContain("no consumer");
  });

  it("no consumer, noConsumerWaitMs: gives up with NoConsumerError long before a one-minute deadline; a consumer attached later gets the next publish", async () => {
    const { from, fromUrl, toUrl } = routers();
    const address = uniqueAddress(target.prefixes.balanced, "nobody-soon");
    const publisher = client(fromUrl);
    // The test's own timeout (30 s) fails it if the publish waits for its deadline.
    const error = await publisher
      .publish(address, { body: 1 }, { deadline: 60_000, noConsumerWaitMs: 300 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(NoConsumerError);
    expect(error.retryAfterMs).toBeGreaterThan(0);
    const got: unknown[] = [];
    const consumer = client(toUrl).consume(address, (m) => {
      got.push(m.body);
    });
    await consumer.ready();
    await waitForConsumers(target, from, address, 1);
    await publisher.publish(address, { body: "now" }, { deadline: 5_000, noConsumerWaitMs: 300 });
    await waitFor(() => got.includes("now"), { what: "the publish once a consumer is attached" });
    expect(got).toEqual(["now"]);
  });

  it("a slow consumer is back-pressure, not 'no consumer': once the router's credit is used up, publishes fail with BackPressureError", async () => {
    const { from, fromUrl, toUrl } = routers();
    const address = uniqueAddress(target.prefixes.balanced, "slow");
    // Takes one message and never settles it: the router holds the rest for it.
    const stuck = client(toUrl).consume(address, () => new Promise<void>(() => {}), {
      prefetch: 1,
    });
    await stuck.ready();
    await waitForConsumers(target, from, address, 1);
    const publisher = client(fromUrl);
    // More than a link's capacity (250 by default on both routers) can be inside the router.
    const outcomes = await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        publisher.publish(address, { body: i }, { deadline: 2_000, noConsumerWaitMs: 200 }).then(
          () => "accepted",
          (e: Error) => e.name,
        ),
      ),
    );
    const counts: Record<string, number> = {};
    for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
    expect(counts.NoConsumerError, JSON.stringify(counts)).toBeUndefined();
    expect(counts.BackPressureError, JSON.stringify(counts)).toBeGreaterThan(0);
  });

  it("the consumer's rejection reaches the publisher as PublishRejectedError with its description", async () => {
    const { from, fromUrl, toUrl } = routers();
    const address = uniqueAddress(target.prefixes.balanced, "reject");
    const consumer = client(toUrl).consume(address, () => {
      throw new PermanentError("order has no lines");
    });
    await consumer.ready();
    await waitForConsumers(target, from, address, 1);
    const error = await client(fromUrl)
      .publish(address, { body: {}, messageId: "bad-1" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PublishRejectedError);
    expect(error.description).toBe("order has no lines");
    expect(consumer.stats.rejected).toBe(1);
  });

  it("accepts and rejections settled in the same tick reach the producer one by one", async () => {
    // rhea merges a rejection settled right after an accept into one `accepted` range
    // unless the consumer's session is guarded (rhea-types.ts beginReceiverSession).
    const { from, fromUrl, toUrl } = routers();
    const address = uniqueAddress(target.prefixes.balanced, "mixed");
    const concurrency = 8;
    const handled: number[] = [];
    // Handlers finish in groups of `concurrency` within one tick, so the consumer's rhea
    // writes consecutive delivery ids with alternating outcomes at once — unguarded, it
    // merges the first two of such a write into one range with the first one's outcome.
    const group: Array<() => void> = [];
    const consumer = client(toUrl).consume(
      address,
      async (m) => {
        const n = Number(m.body);
        handled.push(n);
        if (m.messageId !== "mixed-warmup") {
          await new Promise<void>((resolve) => {
            group.push(resolve);
            if (group.length === concurrency) for (const done of group.splice(0)) done();
          });
        }
        if (n % 2 === 0) throw new PermanentError(`even ${n}`);
      },
      { prefetch: 64, concurrency },
    );
    await consumer.ready();
    await waitForConsumers(target, from, address, 1);
    const producer = client(fromUrl);
    // One round first, so the producer's link is attached and has credit: the next
    // publishes then leave back to back and arrive at the consumer together.
    await producer.publish(address, { body: 1, messageId: "mixed-warmup" });
    const count = 8 * concurrency;
    const results = await Promise.allSettled(
      Array.from({ length: count }, (_, i) =>
        producer.publish(address, { body: i, messageId: `mixed-${i}` }, { deadline: 10_000 }),
      ),
    );
    const wrong: string[] = [];
    results.forEach((result, i) => {
      if (i % 2 === 1 && result.status !== "fulfilled") wrong.push(`${i}: ${result.reason}`);
      if (i % 2 === 0) {
        const reason: unknown = result.status === "rejected" ? result.reason : undefined;
        if (!(reason instanceof PublishRejectedError) || reason.description !== `even ${i}`) {
          wrong.push(`${i}: ${result.status === "fulfilled" ? "resolved" : String(reason)}`);
        }
      }
    });
    expect(wrong).toEqual([]);
    expect(consumer.stats).toMatchObject({ accepted: count / 2 + 1, rejected: count / 2 });
    expect(handled).toHaveLength(count + 1);
  });

  it("a consumer left: the router releases the publish and drains the link; the client sends once and waits for credit", async () => {
    const { from, fromUrl, toUrl } = routers();
    const address = uniqueAddress(target.prefixes.balanced, "left");
    const publisher = client(fromUrl);
    const first = client(toUrl).consume(address, () => {});
    await first.ready();
    await waitForConsumers(target, from, address, 1);
    await publisher.publish(address, { body: "warm-up" });
    await first.stop();
    await waitForConsumers(target, from, address, 0);
    const error = await publisher
      .publish(address, { body: "nobody", messageId: "left-1" }, { deadline: 600 })
      .catch((e) => e);
    // Without honouring the drain the client would resend into the released path until
    // its deadline (attempts > 1).
    expect(error).toBeInstanceOf(PublishTimeoutError);
    expect(error).toMatchObject({ lastOutcome: "released", attempts: 1 });
    const got: unknown[] = [];
    const second = client(toUrl).consume(address, (m) => {
      got.push(m.body);
    });
    await second.ready();
    await waitForConsumers(target, from, address, 1);
    await publisher.publish(address, { body: "back" }, { deadline: 5_000 });
    await waitFor(() => got.includes("back"), { what: "the publish after the drain" });
  });

  it("a retryable failure (modified) is retried by the publisher with the same message id", async () => {
    const { from, fromUrl, toUrl } = routers();
    const address = uniqueAddress(target.prefixes.balanced, "flaky");
    const seen: string[] = [];
    const consumer = client(toUrl).consume(address, (m) => {
      seen.push(String(m.messageId));
      if (seen.length === 1) throw new RetryableError("database busy");
    });
    await consumer.ready();
    await waitForConsumers(target, from, address, 1);
    await client(fromUrl).publish(address, { body: {}, messageId: "flaky-1" });
    expect(seen).toEqual(["flaky-1", "flaky-1"]);
    expect(consumer.stats).toMatchObject({ modified: 1, accepted: 1 });
  });

  it("asks the router's $management with a dynamic reply address", async () => {
    const { fromUrl } = routers();
    const prefix =
      target.flavour === "skupper-router" ? "io.skupper.router" : "org.apache.qpid.dispatch";
    const reply = await client(fromUrl).request(
      "$management",
      {
        body: { attributeNames: ["prefix", "distribution"] },
        bodySection: "value",
        applicationProperties: {
          operation: "QUERY",
          type: "org.amqp.management",
          name: "self",
          entityType: `${prefix}.router.config.address`,
        },
      },
      { timeoutMs: 5_000 },
    );
    expect(reply.applicationProperties.statusCode).toBe(200);
    const body = reply.body as { attributeNames: string[]; results: string[][] };
    expect(body.attributeNames).toEqual(["prefix", "distribution"]);
    expect(body.results).toContainEqual([target.prefixes.balanced, "balanced"]);
  });

  it("an RPC service built on consume + publish answers a request", async () => {
    const { from, fromUrl, toUrl } = routers();
    const address = uniqueAddress(target.prefixes.balanced, "upper");
    const server = client(toUrl);
    const service = server.consume(address, async (m) => {
      await server.publish(String(m.replyTo), {
        body: String(m.body).toUpperCase(),
        correlationId: m.messageId,
      });
    });
    await service.ready();
    await waitForConsumers(target, from, address, 1);
    const reply = await client(fromUrl).request(address, { body: "hello" }, { timeoutMs: 5_000 });
    expect(reply.body).toBe("HELLO");
  });

  it("no reply in time is a RequestTimeoutError", async () => {
    const { from, fromUrl, toUrl } = routers();
    const address = uniqueAddress(target.prefixes.balanced, "silent");
    const silent = client(toUrl).consume(address, () => {});
    await silent.ready();
    await waitForConsumers(target, from, address, 1);
    const error = await client(fromUrl)
      .request(address, { body: 1 }, { timeoutMs: 200 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error.reason).toBe("timeout");
  });
});
