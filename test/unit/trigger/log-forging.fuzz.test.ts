/**
 * Log forging through a trigger: payload key names, error messages and a function's answer
 * carry newlines, carriage returns, bidi overrides and other control characters; no failure
 * reason the core reports (the text that becomes a log line, a queued batch's error and a
 * dead-letter reason) ever holds one raw.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MeshClient } from "../../../shared/amqp/index.ts";
import { runtimeValidators } from "../../../shared/registry-snapshot/index.ts";
import {
  channelCatalog,
  channelPublisher,
  defineChannelHandler,
  matchBatchFailures,
  PublishPayloadInvalidError,
  QueuedBatchFailedError,
  runChannelBatch,
  runQueuedBatch,
  type TriggerRecord,
  triggerContext,
} from "./imports.ts";
import { exampleSnapshot } from "./snapshot.ts";

const catalog = channelCatalog(exampleSnapshot(), runtimeValidators());
const context = triggerContext({
  platform: "local",
  mode: "bridge",
  publish: async () => ({ messageId: "x" }),
  log: () => {},
});

// What a log line must never hold raw: C0/C1 controls, DEL, line separators, bidi controls.
// Written out here, not taken from the code under test.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Text with control characters mixed in. */
const hostileText = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom("\n", "\r\n", "\u2028", "\u202e", "\u0000", "\u001b[31m", "\u0085", "\t"),
      fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)),
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((parts) => parts.join(""))
  .filter((s) => RAW_CONTROL.test(s));

const valid = { orderId: "ord-1", customerId: "c", lines: [{ sku: "s", quantity: 1 }] };

function record(id: string, body: string): TriggerRecord {
  return {
    id,
    messageId: `m-${id}`,
    attempt: 1,
    body,
    bodyEncoding: "utf8",
    contentType: "application/json",
    properties: {},
  };
}

describe("failure reasons never carry a raw control character", () => {
  it("schema violations naming hostile key names, and a handler's hostile error", async () => {
    await fc.assert(
      fc.asyncProperty(hostileText, hostileText, async (key, message) => {
        const handler = defineChannelHandler({
          channel: "sales/orders",
          handler() {
            throw new Error(message);
          },
        });
        const records = [
          // additionalProperties: false names the key in the violation
          record("extra-key", JSON.stringify({ ...valid, [key]: 1 })),
          record("bad-line", JSON.stringify({ ...valid, lines: [{ [key]: 1 }] })),
          record("good", JSON.stringify(valid)),
        ];
        const { batchItemFailures } = await runChannelBatch(handler, "sales/orders", records, {
          catalog,
          context,
        });
        expect(batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
          "bad-line",
          "extra-key",
          "good",
        ]);
        for (const failure of batchItemFailures)
          expect(failure.reason ?? "", JSON.stringify(failure.reason)).not.toMatch(RAW_CONTROL);
      }),
      { numRuns: 300 },
    );
  });

  it("a function's own answer (what the bridge dead-letters with)", () => {
    fc.assert(
      fc.property(hostileText, (reason) => {
        const failures = matchBatchFailures(
          { batchItemFailures: [{ itemIdentifier: "1", reason }] },
          new Set(["1"]),
        );
        expect(failures[0]?.reason).toBeDefined();
        expect(failures[0]?.reason).not.toMatch(RAW_CONTROL);
      }),
      { numRuns: 300 },
    );
  });

  it("a function's publish refused for a hostile key name (PublishPayloadInvalidError)", async () => {
    // A real client, never connected: the payload is refused before anything is sent.
    const client = new MeshClient({ urls: ["amqp://127.0.0.1:1"] });
    const publish = channelPublisher(client, catalog);
    try {
      await fc.assert(
        fc.asyncProperty(hostileText, async (key) => {
          const error = await publish("sales/orders", { ...valid, [key]: 1 }).catch((e) => e);
          expect(error).toBeInstanceOf(PublishPayloadInvalidError);
          expect((error as Error).message).not.toMatch(RAW_CONTROL);
        }),
        { numRuns: 200 },
      );
    } finally {
      await client.close(100);
    }
  });

  it("a queued batch's error, which the platform logs", async () => {
    await fc.assert(
      fc.asyncProperty(hostileText, hostileText, async (key, messageId) => {
        const handler = defineChannelHandler({ channel: "sales/orders", handler: () => undefined });
        const bad = { ...record("1", JSON.stringify({ ...valid, [key]: 1 })), messageId };
        const outcome = await runQueuedBatch(handler, "sales/orders", [bad], { catalog, context });
        expect(outcome.failures).toHaveLength(1);
        const error = new QueuedBatchFailedError("sales/orders", outcome.failures, 1);
        expect(error.message).not.toMatch(RAW_CONTROL);
      }),
      { numRuns: 200 },
    );
  });
});
