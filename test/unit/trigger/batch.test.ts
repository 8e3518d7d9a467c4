/**
 * The core on one batch, without a router: which items the answer names, what never reaches
 * the handler, what a throwing handler means, and the queued runner's all-or-nothing rule
 * with an idempotency guard.
 */
import { describe, expect, it } from "vitest";
import {
  ChannelHandlerDefinitionError,
  ChannelMismatchError,
  channelCatalog,
  defineChannelHandler,
  type IdempotencyGuard,
  PermanentError,
  recordIdempotencyKey,
  recordOfMessage,
  runChannelBatch,
  runQueuedBatch,
  type TriggerRecord,
  triggerContext,
  UnknownChannelError,
} from "./imports.ts";
import { exampleSnapshot } from "./snapshot.ts";

const catalog = channelCatalog(
  exampleSnapshot(),
  (await import("../../../shared/registry-snapshot/index.ts")).runtimeValidators(),
);
const context = triggerContext({
  platform: "local",
  mode: "bridge",
  publish: async () => ({ messageId: "x" }),
  log: () => {},
});
const order = (n: number) => ({
  orderId: `ord-${n}`,
  customerId: "c",
  lines: [{ sku: "s", quantity: 1 }],
});

function record(id: string, payload: unknown, extra: Partial<TriggerRecord> = {}): TriggerRecord {
  return {
    id,
    messageId: `m-${id}`,
    attempt: 1,
    body: JSON.stringify(payload),
    bodyEncoding: "utf8",
    contentType: "application/json",
    properties: {},
    ...extra,
  };
}

describe("defineChannelHandler", () => {
  it("refuses what is not a channel, a handler or a deployable name, saying what to write", () => {
    expect(() =>
      defineChannelHandler({ channel: "sales orders", handler: () => undefined }),
    ).toThrow(ChannelHandlerDefinitionError);
    expect(() => defineChannelHandler({ channel: "sales/orders", handler: "no" as never })).toThrow(
      /handler of channel "sales\/orders" must be a function/,
    );
    expect(() =>
      defineChannelHandler({ channel: "sales/orders", name: "9lives", handler: () => undefined }),
    ).toThrow(/must start with a letter/);
    expect(defineChannelHandler({ channel: "sales/orders", handler: () => undefined }).name).toBe(
      "sales-orders",
    );
  });
});

describe("runChannelBatch", () => {
  const seen: string[][] = [];
  const failing = (ids: string[]) =>
    defineChannelHandler({
      channel: "sales/orders",
      handler(batch) {
        seen.push(batch.map((m) => m.id));
        return { batchItemFailures: ids.map((itemIdentifier) => ({ itemIdentifier })) };
      },
    });

  it("fails exactly the items the handler names", async () => {
    const response = await runChannelBatch(
      failing(["b"]),
      "sales/orders",
      [record("a", order(1)), record("b", order(2))],
      { catalog, context },
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "b" }] });
  });

  it("keeps schema violations and unreadable bodies from the handler: permanent failures with the reason", async () => {
    seen.length = 0;
    const response = await runChannelBatch(
      failing([]),
      "sales.orders",
      [
        record("ok", order(1)),
        record("bad", { orderId: "x" }),
        { ...record("garbled", {}), body: "{not json" },
      ],
      { catalog, context },
    );
    expect(seen).toEqual([["ok"]]);
    expect(response.batchItemFailures).toEqual([
      {
        itemIdentifier: "bad",
        permanent: true,
        reason: expect.stringMatching(/^schema: .*customerId|^schema: /),
      },
      {
        itemIdentifier: "garbled",
        permanent: true,
        reason: expect.stringMatching(/not valid JSON/),
      },
    ]);
  });

  it("fails every item when the handler throws; permanently when it threw a PermanentError", async () => {
    const throwing = (error: Error) =>
      defineChannelHandler({ channel: "sales/orders", handler: () => Promise.reject(error) });
    const records = [record("a", order(1)), record("b", order(2))];
    const retryable = await runChannelBatch(
      throwing(new Error("db down")),
      "sales/orders",
      records,
      { catalog, context },
    );
    expect(retryable.batchItemFailures).toEqual([
      { itemIdentifier: "a", reason: "handler threw: db down" },
      { itemIdentifier: "b", reason: "handler threw: db down" },
    ]);
    const permanent = await runChannelBatch(
      throwing(new PermanentError("never")),
      "sales/orders",
      records,
      { catalog, context },
    );
    expect(permanent.batchItemFailures.every((f) => f.permanent === true)).toBe(true);
  });

  it("fails the whole batch when the answer names an item that is not in it (as Lambda does for SQS)", async () => {
    const response = await runChannelBatch(
      failing(["zzz"]),
      "sales/orders",
      [record("a", order(1)), record("b", order(2))],
      { catalog, context },
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(["a", "b"]);
    expect(response.batchItemFailures[0]?.reason).toMatch(/"zzz", which is not in the batch/);
  });

  it("refuses an invocation for another channel, and a channel the snapshot lacks", async () => {
    await expect(
      runChannelBatch(failing([]), "billing/invoices", [record("a", order(1))], {
        catalog,
        context,
      }),
    ).rejects.toBeInstanceOf(ChannelMismatchError);
    const unknown = defineChannelHandler({ channel: "nobody/here", handler: () => undefined });
    await expect(
      runChannelBatch(unknown, "nobody/here", [record("a", {})], { catalog, context }),
    ).rejects.toBeInstanceOf(UnknownChannelError);
  });

  it("carries a received message through a record unchanged (bytes, text, JSON, properties)", () => {
    const base = {
      contentType: undefined,
      messageId: "m1",
      correlationId: "c1",
      subject: "s",
      replyTo: undefined,
      creationTime: undefined,
      ttlMs: undefined,
      deliveryCount: 0,
    };
    const json = recordOfMessage(
      {
        ...base,
        body: { a: [1, "x"] },
        contentType: "application/json",
        applicationProperties: { n: 3, when: new Date(0) },
      },
      "7",
      2,
    );
    expect(json).toMatchObject({
      id: "7",
      messageId: "m1",
      attempt: 2,
      body: '{"a":[1,"x"]}',
      bodyEncoding: "utf8",
      properties: { n: 3, when: "1970-01-01T00:00:00.000Z" },
    });
    const bytes = recordOfMessage(
      { ...base, body: new Uint8Array([0, 255]), applicationProperties: {} },
      "8",
      1,
    );
    expect(bytes).toMatchObject({ body: "AP8=", bodyEncoding: "base64" });
  });
});

/** A guard remembering completed keys in memory (the contract Powertools implements). */
function memoryGuard(): IdempotencyGuard & { done: Set<string> } {
  const done = new Set<string>();
  return {
    done,
    async once(key, work) {
      if (done.has(key)) return;
      await work();
      done.add(key);
    },
  };
}

describe("runQueuedBatch", () => {
  it("runs each message id once across redeliveries of a failing batch", async () => {
    const runs: string[] = [];
    const definition = defineChannelHandler({
      channel: "sales/orders",
      handler(batch) {
        runs.push(...batch.map((m) => m.id));
        return {
          batchItemFailures: batch
            .filter((m) => m.id === "b")
            .map((m) => ({ itemIdentifier: m.id })),
        };
      },
    });
    const guard = memoryGuard();
    const records = [record("a", order(1)), record("b", order(2)), record("c", order(3))];
    const first = await runQueuedBatch(definition, "sales/orders", records, {
      catalog,
      context,
      idempotency: guard,
    });
    expect(first).toMatchObject({
      processed: ["a", "c"],
      skipped: [],
      failures: [{ itemIdentifier: "b" }],
    });
    const again = await runQueuedBatch(definition, "sales/orders", records, {
      catalog,
      context,
      idempotency: guard,
    });
    expect(again).toMatchObject({
      processed: [],
      skipped: ["a", "c"],
      failures: [{ itemIdentifier: "b" }],
    });
    expect(runs).toEqual(["a", "b", "c", "b"]);
  });

  it("one producer's message id cannot make another's look done: without a verified producer, other content is another message", async () => {
    const runs: string[] = [];
    const definition = defineChannelHandler({
      channel: "sales/orders",
      handler: (batch) => void runs.push(...batch.map((m) => m.id)),
    });
    const guard = memoryGuard();
    // Two direct producers without a user-id chose the same id for different orders; the
    // first one's redelivery (same bytes) is the same message.
    const mallory = record("x", order(1), { messageId: "order-4711" });
    const victim = record("y", order(2), { messageId: "order-4711" });
    const redelivered = record("z", order(1), { messageId: "order-4711" });
    const first = await runQueuedBatch(definition, "sales/orders", [mallory], {
      catalog,
      context,
      idempotency: guard,
    });
    expect(first.processed).toEqual(["x"]);
    const next = await runQueuedBatch(definition, "sales/orders", [victim, redelivered], {
      catalog,
      context,
      idempotency: guard,
    });
    expect(next).toMatchObject({ processed: ["y"], skipped: ["z"], failures: [] });
    expect(runs).toEqual(["x", "y"]);
    // A verified producer's id is its own, whatever the content (a resend may differ).
    expect(recordIdempotencyKey("sales/orders", { ...victim, producer: "sales-api" })).toBe(
      recordIdempotencyKey("sales/orders", { ...mallory, producer: "sales-api" }),
    );
  });

  it("counts a message the guard refuses (in progress elsewhere) as failed, and runs duplicates once", async () => {
    const refusing: IdempotencyGuard = {
      async once(key, work) {
        if (key === recordIdempotencyKey("sales/orders", record("b", order(2))))
          throw new Error("already in progress");
        await work();
      },
    };
    const runs: string[] = [];
    const definition = defineChannelHandler({
      channel: "sales/orders",
      handler: (batch) => void runs.push(...batch.map((m) => m.id)),
    });
    const records = [record("a", order(1)), record("b", order(2)), record("a", order(1))];
    const outcome = await runQueuedBatch(definition, "sales/orders", records, {
      catalog,
      context,
      idempotency: refusing,
    });
    expect(runs).toEqual(["a"]);
    expect(outcome.failures).toEqual([
      { itemIdentifier: "b", reason: "idempotency: already in progress" },
    ]);
  });
});
