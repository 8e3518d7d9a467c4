import { context, TraceFlags, trace } from "@opentelemetry/api";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ClientClosedError,
  type CloudEvent,
  fromAmqpMessage,
  LinkRefusedError,
  PermanentError,
  type ReceivedMessage,
  RetryableError,
  toAmqpMessage,
} from "../../../shared/amqp/index.ts";
import { waitFor, withTimeout } from "../../support/wait.ts";
import { closeTracked, peerAndClient } from "./helpers.ts";
import { installTestContextManager } from "./otel-context.ts";

afterEach(closeTracked);

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("consume: settlement follows the handler's outcome", () => {
  it("handler resolved → accepted; the message arrives decoded", async () => {
    const { peer, client } = await peerAndClient();
    const got: ReceivedMessage[] = [];
    const consumer = client.consume("orders", (m) => {
      got.push(m);
    });
    await consumer.ready();
    await client.publish("orders", {
      body: { a: [1, 2] },
      messageId: "c-1",
      correlationId: "corr",
      replyTo: "replies",
      ttlMs: 60_000,
      creationTime: new Date(1_700_000_000_000),
      applicationProperties: { k: "v", n: 7, ok: true },
    });
    await waitFor(() => peer.dispositions.length === 1, { what: "the accept" });
    expect(peer.dispositions[0]).toMatchObject({ messageId: "c-1", outcome: "accepted" });
    expect(got[0]).toMatchObject({
      body: { a: [1, 2] },
      contentType: "application/json",
      messageId: "c-1",
      correlationId: "corr",
      replyTo: "replies",
      ttlMs: 60_000,
      creationTime: new Date(1_700_000_000_000),
      applicationProperties: { k: "v", n: 7, ok: true },
    });
    expect(consumer.stats.accepted).toBe(1);
  });

  it("bytes bodies round-trip as bytes", async () => {
    const { client } = await peerAndClient();
    const got: ReceivedMessage[] = [];
    const consumer = client.consume("bin", (m) => {
      got.push(m);
    });
    await consumer.ready();
    await client.publish("bin", { body: Buffer.from([0, 1, 2, 255]) });
    await waitFor(() => got.length === 1, { what: "the message" });
    expect(got[0]?.contentType).toBeUndefined();
    expect(Buffer.from(got[0]?.body as Uint8Array)).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it.each([
    ["RetryableError → modified", new RetryableError("try later"), "modified"],
    [
      "RetryableError(release) → released",
      new RetryableError("elsewhere", { release: true }),
      "released",
    ],
    ["any other error → modified", new Error("boom"), "modified"],
    [
      "error marked retryable: false → rejected",
      Object.assign(new Error("bad"), { retryable: false }),
      "rejected",
    ],
    [
      "PermanentError → rejected with its description",
      new PermanentError("cannot ever work"),
      "rejected",
    ],
  ] as const)("%s", async (_name, error, outcome) => {
    const { peer, client } = await peerAndClient();
    let calls = 0;
    const consumer = client.consume("work", () => {
      calls++;
      if (calls === 1) throw error;
    });
    await consumer.ready();
    await client.publish("work", { body: 1, messageId: "w-1" });
    await waitFor(() => peer.dispositions.length >= 1, { what: "a disposition" });
    expect(peer.dispositions[0]).toMatchObject({ messageId: "w-1", outcome });
    if (outcome === "rejected") {
      expect(peer.dispositions[0]?.description).toBe(error.message);
    } else {
      // Released/modified go back to the peer's queue and come again; the retry is accepted.
      await waitFor(() => peer.dispositions.length === 2, { what: "the redelivery" });
      expect(peer.dispositions[1]).toMatchObject({ messageId: "w-1", outcome: "accepted" });
    }
  });

  it("a payload failing validate() is rejected with the problem, without calling the handler", async () => {
    const { peer, client } = await peerAndClient();
    let calls = 0;
    const consumer = client.consume(
      "typed",
      () => {
        calls++;
      },
      {
        validate: (m) =>
          typeof m.body === "object" && m.body !== null && "id" in m.body
            ? undefined
            : "id is required",
      },
    );
    await consumer.ready();
    await client.publish("typed", { body: { name: "x" }, messageId: "bad" });
    await client.publish("typed", { body: { id: 1 }, messageId: "good" });
    await waitFor(() => peer.dispositions.length === 2, { what: "both dispositions" });
    expect(peer.dispositions).toEqual([
      {
        address: "typed",
        messageId: "bad",
        outcome: "rejected",
        description: "invalid payload: id is required",
      },
      { address: "typed", messageId: "good", outcome: "accepted", description: undefined },
    ]);
    expect(calls).toBe(1);
  });

  it("a rejection's description has control characters escaped (no forged log lines)", async () => {
    const { peer, client } = await peerAndClient();
    const consumer = client.consume("typed", () => {}, {
      // A validator that echoes a key name from the payload, as schema validators do.
      validate: (m) => `unknown key ${Object.keys(m.body as object)[0]}`,
    });
    await consumer.ready();
    await client.publish("typed", {
      body: { "x\nERROR forged line\u2028\u202e": 1 },
      messageId: "forge",
    });
    await waitFor(() => peer.dispositions.length === 1, { what: "the rejection" });
    expect(peer.dispositions[0]?.outcome).toBe("rejected");
    expect(peer.dispositions[0]?.description).toBe(
      "invalid payload: unknown key x\\nERROR forged line\\u2028\\u202e",
    );
  });

  it("a JSON content type with a non-JSON body is rejected with a description", async () => {
    const { peer, client } = await peerAndClient();
    const consumer = client.consume("typed", () => {});
    await consumer.ready();
    // Text body claiming to be JSON: sent raw with a JSON content type through the model's text path.
    await client.publish("typed", {
      body: Buffer.from("{not json"),
      contentType: "application/json",
      messageId: "nj",
    });
    await waitFor(() => peer.dispositions.length === 1, { what: "the reject" });
    expect(peer.dispositions[0]?.outcome).toBe("rejected");
    expect(peer.dispositions[0]?.description).toContain("not valid JSON");
  });

  it("credit window: with prefetch 5 and a blocked handler the peer sees at most 5 outstanding", async () => {
    const { peer, client } = await peerAndClient();
    const gate = deferred();
    let started = 0;
    const consumer = client.consume(
      "slow",
      async () => {
        started++;
        await gate.promise;
      },
      { prefetch: 5, concurrency: 2 },
    );
    await consumer.ready();
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.publish("slow", { body: i })));
    await waitFor(() => started === 2, { what: "two handlers running" });
    await waitFor(() => peer.store.maxUnsettled.get("slow") === 5, { what: "5 outstanding" });
    // The producer was not blocked by the consumer, but the rest stays at the router.
    expect(peer.store.depth("slow")).toBe(15);
    expect(started).toBe(2);
    gate.resolve();
    await waitFor(() => consumer.stats.accepted === 20, { what: "all 20 accepted" });
    expect(peer.store.maxUnsettled.get("slow")).toBe(5);
  });

  it("one stuck handler does not overflow the session buffer: credit waits for it", async () => {
    const { peer, client } = await peerAndClient();
    const gate = deferred();
    let handled = 0;
    const consumer = client.consume(
      "stuck",
      async (m) => {
        if (m.messageId === "first") await gate.promise;
        handled++;
      },
      { prefetch: 20, concurrency: 20 },
    );
    await consumer.ready();
    await client.publish("stuck", { body: 0, messageId: "first" });
    await Promise.all(
      Array.from({ length: 2_500 }, (_, i) => client.publish("stuck", { body: i })),
    );
    // The span from the stuck delivery stays within rhea's 2,048-delivery session buffer.
    await waitFor(() => handled >= 2_000, {
      timeout: 15_000,
      what: "most messages handled around the stuck one",
    });
    await waitFor(
      () => peer.store.depth("stuck") > 0 && handled === 2_500 - peer.store.depth("stuck"),
      { timeout: 5_000, what: "credit held back" },
    );
    expect(handled).toBeLessThan(2_048);
    expect(client.status.connections).toBe(1);
    gate.resolve();
    await waitFor(() => handled === 2_501, {
      timeout: 15_000,
      what: "everything after the stuck one settles",
    });
    expect(client.status.connections).toBe(1);
  });

  it("graceful stop: drains credit, finishes the running handler, releases the rest, detaches", async () => {
    const { peer, client } = await peerAndClient();
    const gate = deferred();
    let started = 0;
    const consumer = client.consume(
      "stopme",
      async () => {
        started++;
        await gate.promise;
      },
      { prefetch: 4, concurrency: 1 },
    );
    await consumer.ready();
    await Promise.all(Array.from({ length: 10 }, (_, i) => client.publish("stopme", { body: i })));
    await waitFor(() => started === 1 && peer.store.depth("stopme") === 6, {
      what: "4 delivered, 1 running",
    });
    let stopped = false;
    const stopping = consumer.stop().then(() => {
      stopped = true;
    });
    await waitFor(() => consumer.stats.released === 3, { what: "the 3 waiting released" });
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    expect(consumer.stats.accepted).toBe(1);
    expect(started).toBe(1);
    // Nothing is lost: 9 messages are back at (or still in) the peer's queue.
    await waitFor(() => peer.store.depth("stopme") === 9, { what: "9 messages back in the queue" });
    expect(peer.store.links.size).toBe(0);
  });
});

describe("CloudEvents over the peer", () => {
  it.each(["binary", "structured"] as const)("round-trips an event in %s mode", async (mode) => {
    const { peer, client } = await peerAndClient();
    const event: CloudEvent = {
      specversion: "1.0",
      id: `evt-${mode}`,
      source: "/tests",
      type: "com.example.thing",
      datacontenttype: "application/json",
      tenant: "t9",
      data: { n: 1 },
    };
    const got: CloudEvent[] = [];
    const consumer = client.consume("events", (m) => {
      got.push(fromAmqpMessage(m));
    });
    await consumer.ready();
    await client.publish("events", toAmqpMessage(event, { mode }));
    await waitFor(() => got.length === 1, { what: "the event" });
    expect(got[0]).toEqual(event);
    const props = peer.received[0]?.message.application_properties as Record<string, unknown>;
    if (mode === "binary") expect(props.cloudEvents_tenant).toBe("t9");
    else
      expect(peer.received[0]?.message.content_type).toBe(
        "application/cloudevents+json; charset=utf-8",
      );
  });
});

describe("trace context crosses publish → consume", () => {
  let uninstall: () => void = () => {};
  beforeAll(() => {
    uninstall = installTestContextManager();
  });
  afterAll(() => uninstall());

  it("carries traceparent/tracestate in application properties and continues the trace", async () => {
    const { peer, client } = await peerAndClient();
    const parent = trace.wrapSpanContext({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: TraceFlags.SAMPLED,
    });
    const seen: Array<{ traceId: string | undefined; viaInfo: string | undefined }> = [];
    const consumer = client.consume("traced", (_m, info) => {
      seen.push({
        traceId: trace.getSpanContext(context.active())?.traceId,
        viaInfo: trace.getSpanContext(info.traceContext)?.traceId,
      });
    });
    await consumer.ready();
    await context.with(trace.setSpan(context.active(), parent), () =>
      client.publish("traced", { body: 1 }),
    );
    await waitFor(() => seen.length === 1, { what: "the traced message" });
    const props = peer.received[0]?.message.application_properties as Record<string, unknown>;
    expect(props.traceparent).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    expect(seen[0]).toEqual({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      viaInfo: "0af7651916cd43dd8448eb211c80319c",
    });
  });

  it("takes an explicit parent context (e.g. from an HTTP request) without a context manager", async () => {
    const { peer, client } = await peerAndClient();
    const parent = trace.setSpanContext(context.active(), {
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      traceFlags: TraceFlags.SAMPLED,
      traceState: undefined,
    });
    await client.publish("traced2", { body: 1 }, { traceContext: parent });
    const props = peer.received[0]?.message.application_properties as Record<string, unknown>;
    expect(props.traceparent).toBe("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  });
});

describe("consume under faults of the handler and the router", () => {
  /** Things a handler may throw or reject with that break naive error handling. */
  const unprintable = () => ({
    toString() {
      throw new Error("toString throws");
    },
  });
  const hostileProxy = () =>
    new Proxy(
      {},
      {
        get() {
          throw new Error("get trap");
        },
        has() {
          throw new Error("has trap");
        },
        getPrototypeOf() {
          throw new Error("getPrototypeOf trap");
        },
      },
    );
  const badValues: Array<[string, (n: number) => Promise<void> | void]> = [
    ["rejects with an object whose String() throws", () => Promise.reject(unprintable())],
    [
      "throws an object whose String() throws",
      () => {
        throw unprintable();
      },
    ],
    ["rejects with a Proxy whose every trap throws", () => Promise.reject(hostileProxy())],
    ["rejects with an object without a prototype", () => Promise.reject(Object.create(null))],
    [
      "returns a thenable whose `then` getter throws",
      () =>
        // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is what this case tests
        Object.defineProperty({}, "then", {
          get() {
            throw new Error("then getter");
          },
        }) as Promise<void>,
    ],
  ];

  it.each(badValues)(
    "a handler that %s frees its slot: the next message is handled",
    async (_n, bad) => {
      const { peer, client } = await peerAndClient();
      const handled: string[] = [];
      const consumer = client.consume(
        "hostile",
        (m) => {
          handled.push(String(m.messageId));
          // The first delivery of "bad" only (the peer redelivers it unchanged).
          if (m.messageId === "bad" && handled.indexOf("bad") === handled.length - 1) return bad(0);
        },
        { prefetch: 2, concurrency: 1 },
      );
      await consumer.ready();
      await client.publish("hostile", { body: 1, messageId: "bad" });
      await client.publish("hostile", { body: 2, messageId: "next" });
      await waitFor(() => consumer.stats.accepted === 2, {
        what: "the next message and the redelivery accepted",
      });
      // The bad one was settled (modified: retry), redelivered and accepted; nothing stuck.
      expect(consumer.stats.modified).toBe(1);
      expect(handled.filter((id) => id === "next")).toEqual(["next"]);
      expect(peer.dispositions.find((d) => d.messageId === "bad")?.outcome).toBe("modified");
    },
  );

  it("ready() rejects with LinkRefusedError when the router refuses the attach", async () => {
    const { peer, client } = await peerAndClient();
    peer.refuseAttach = ({ role, address }) =>
      role === "receiver" && address === "forbidden"
        ? { condition: "amqp:unauthorized-access", description: "no receiving from forbidden" }
        : undefined;
    const errors: Error[] = [];
    const consumer = client.consume("forbidden", () => {}, { onError: (e) => errors.push(e) });
    const error = await withTimeout(
      consumer.ready().catch((e: unknown) => e),
      5_000,
      "ready() to settle",
    );
    expect(error).toBeInstanceOf(LinkRefusedError);
    expect(error).toMatchObject({ condition: "amqp:unauthorized-access", transient: false });
    expect(errors[0]).toBeInstanceOf(LinkRefusedError);
  });

  it("ready() waits for the detach of a refusal that arrives in a later frame (no guess from one tick)", async () => {
    const { peer, client } = await peerAndClient();
    peer.refuseAttach = ({ role }) =>
      role === "receiver"
        ? { condition: "amqp:not-found", description: "no such node", detachAfterMs: 50 }
        : undefined;
    const consumer = client.consume("late-refusal", () => {}, { onError: () => {} });
    const error = await withTimeout(
      consumer.ready().then(
        () => "ready",
        (e: unknown) => e,
      ),
      5_000,
      "ready() to settle",
    );
    expect(error).toBeInstanceOf(LinkRefusedError);
    expect(error).toMatchObject({ condition: "amqp:not-found" });
  });

  it("ready() after stop(), or pending when stop() is called, rejects with ClientClosedError", async () => {
    const { peer, client } = await peerAndClient();
    // Never answered in time: the attach waits while stop() runs.
    peer.refuseAttach = () => ({ condition: "amqp:not-found", detachAfterMs: 5_000 });
    const consumer = client.consume("never", () => {}, { onError: () => {} });
    const pending = consumer.ready().catch((e: unknown) => e);
    await consumer.stop();
    expect(await pending).toBeInstanceOf(ClientClosedError);
    await expect(consumer.ready()).rejects.toBeInstanceOf(ClientClosedError);
  });

  it("an onError that throws does not break the connection; the consumer keeps re-attaching", async () => {
    const { peer, client } = await peerAndClient();
    let refusals = 0;
    peer.refuseAttach = ({ role, address }) => {
      if (role !== "receiver" || address !== "flaky" || refusals >= 2) return undefined;
      refusals++;
      return { condition: "amqp:link:detach-forced" };
    };
    const consumer = client.consume("flaky", () => {}, {
      onError: () => {
        throw new Error("onError itself fails");
      },
    });
    await waitFor(() => refusals === 2, { what: "two refused attaches" });
    await waitFor(
      async () =>
        (await consumer.ready().then(
          () => true,
          () => false,
        )) === true,
      {
        timeout: 10_000,
        what: "the third attach to be ready",
      },
    );
    await client.publish("flaky", { body: 1 });
    await waitFor(() => consumer.stats.accepted === 1, { what: "the message" });
    expect(client.status.connections).toBe(1);
  });

  it("stopping a consumer before the router answered its attach keeps the connection", async () => {
    const { peer, client } = await peerAndClient();
    const running = client.consume("running", () => {});
    await running.ready();
    for (let i = 0; i < 5; i++) await client.consume(`churn/${i}`, () => {}).stop();
    // rhea takes the answer to a session ended before its begin was answered for a protocol
    // error and drops the connection; the consumer waits for the answer first.
    await running.stop();
    await client.publish("running", { body: 1 });
    expect(client.status.connections).toBe(1);
    expect(peer.connectionsOpened).toBe(1);
  });

  it("a second stop() waits for the first to drain: both settle once the running handler finished", async () => {
    const { client } = await peerAndClient();
    const gate = deferred();
    let started = 0;
    const consumer = client.consume(
      "stop-twice",
      async () => {
        started++;
        await gate.promise;
      },
      { prefetch: 4, concurrency: 1 },
    );
    await consumer.ready();
    await Promise.all(
      Array.from({ length: 4 }, (_, i) => client.publish("stop-twice", { body: i })),
    );
    await waitFor(() => started === 1 && consumer.stats.released === 0, { what: "one running" });
    const done: string[] = [];
    const first = consumer.stop().then(() => done.push("first"));
    const second = consumer.stop().then(() => done.push("second"));
    await waitFor(() => consumer.stats.released === 3, { what: "the 3 waiting released" });
    expect(done).toEqual([]);
    gate.resolve();
    await Promise.all([first, second]);
    expect(done).toEqual(["first", "second"]);
    expect(consumer.stats.accepted).toBe(1);
    expect(consumer.isStopped).toBe(true);
  });
});
