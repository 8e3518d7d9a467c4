/**
 * Every input boundary of the triggers, fuzzed: whatever arrives — an invocation event, a
 * record, a function's answer, an Amazon MQ event, a Service Bus batch, Redis replies — comes
 * back as a value or as the typed error that says what was wrong, never anything else.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AmazonMqEventError,
  parseAmazonMqEvent,
  recordsOfAmazonMqEvent,
} from "../../../functions/aws/trigger/amazon-mq-event.ts";
import { recordsOfServiceBusBatch } from "../../../functions/azure/trigger/handler.ts";
import {
  encodeCommand,
  parseReply,
  RespProtocolError,
} from "../../../functions/idempotency/redis-cache-client.ts";
import {
  decodeRecord,
  InvocationEventError,
  matchBatchFailures,
  parseTriggerInvocation,
  RecordInvalidError,
  type TriggerRecord,
} from "../../../shared/trigger/index.ts";

const RUNS = { numRuns: 500 };

const record = fc.record({
  id: fc.string({ minLength: 1 }),
  messageId: fc.string({ minLength: 1 }),
  attempt: fc.integer({ min: 1, max: 100 }),
  body: fc.oneof(fc.string(), fc.json(), fc.base64String()),
  bodyEncoding: fc.constantFrom("utf8" as const, "base64" as const),
  contentType: fc.option(
    fc.constantFrom(
      "application/json",
      "application/cloudevents+json",
      "text/plain",
      "application/octet-stream",
      "application/xml; charset=utf-8",
    ),
    { nil: undefined },
  ),
  properties: fc.dictionary(
    fc.oneof(
      fc.string(),
      fc.constantFrom(
        "cloudEvents_id",
        "cloudEvents_source",
        "cloudEvents_type",
        "cloudEvents_specversion",
        "traceparent",
      ),
    ),
    fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
  ),
});

describe("trigger input boundaries (fuzz)", () => {
  it("parseTriggerInvocation: an invocation or an InvocationEventError, for any JSON", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record({
            format: fc.constant("amqp-mesh/trigger-invocation/1"),
            channel: fc.string(),
            records: fc.array(fc.anything()),
          }),
        ),
        (event) => {
          try {
            const parsed = parseTriggerInvocation(event);
            expect(parsed.records.length).toBeGreaterThan(0);
          } catch (error) {
            expect(error).toBeInstanceOf(InvocationEventError);
            expect((error as Error).message).toMatch(/not an amqp-mesh trigger invocation \(.+\)/);
          }
        },
      ),
      RUNS,
    );
  });

  it("decodeRecord: a message carrying the record's ids, or a RecordInvalidError", () => {
    fc.assert(
      fc.property(record, (r) => {
        try {
          const message = decodeRecord(r as TriggerRecord, "sales/orders");
          expect(message.id).toBe(r.id);
          expect(message.messageId).toBe(r.messageId);
          expect(message.attempt).toBe(r.attempt);
          expect(
            Object.keys(message.properties).some(
              (k) => k.startsWith("cloudEvents_") || k === "traceparent",
            ),
          ).toBe(false);
        } catch (error) {
          expect(error).toBeInstanceOf(RecordInvalidError);
        }
      }),
      RUNS,
    );
  });

  it("matchBatchFailures: only items of the batch, and any answer it cannot match fails all", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 8 }),
        fc.anything(),
        (ids, answer) => {
          const failures = matchBatchFailures(answer, new Set(ids));
          for (const f of failures) expect(ids).toContain(f.itemIdentifier);
          const list = (answer as { batchItemFailures?: unknown } | null)?.batchItemFailures;
          if (answer !== undefined && answer !== null && !Array.isArray(list))
            expect(failures.length).toBe(ids.length);
        },
      ),
      RUNS,
    );
  });

  it("Amazon MQ events: records with the mesh's message id, or an AmazonMqEventError", () => {
    const message = fc.record({
      messageID: fc.oneof(
        fc.string(),
        fc.string().map((s) => `ID:AMQP_NO_PREFIX:${s}`),
      ),
      messageType: fc.constantFrom("jms/text-message", "jms/bytes-message"),
      redelivered: fc.oneof(fc.boolean(), fc.constant("yes" as unknown as boolean)),
      destination: fc.record({ physicalName: fc.string() }),
      data: fc.base64String(),
      properties: fc.option(fc.dictionary(fc.string(), fc.string()), { nil: null }),
    });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({
            eventSource: fc.constant("aws:mq"),
            eventSourceArn: fc.string(),
            messages: fc.array(message),
          }),
          fc.jsonValue(),
        ),
        (event) => {
          try {
            const records = recordsOfAmazonMqEvent(parseAmazonMqEvent(event));
            for (const r of records) {
              expect(r.messageId.length).toBeGreaterThan(0);
              expect(r.attempt).toBeGreaterThanOrEqual(1);
            }
          } catch (error) {
            expect(error).toBeInstanceOf(AmazonMqEventError);
          }
        },
      ),
      RUNS,
    );
  });

  it("Service Bus batches: one record per message, or an InvocationEventError naming the message", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.jsonValue(), fc.uint8Array())),
        fc.anything(),
        (messages, metadata) => {
          try {
            const records = recordsOfServiceBusBatch(messages, metadata);
            expect(records.length).toBe(messages.length);
          } catch (error) {
            expect(error).toBeInstanceOf(InvocationEventError);
            expect((error as Error).message).toMatch(/message \d+: no messageId/);
          }
        },
      ),
      RUNS,
    );
  });

  it("RESP replies: a value, 'need more bytes', or a RespProtocolError — and encoded commands parse back", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          const reply = parseReply(Buffer.from(bytes));
          if (reply !== undefined) expect(reply.next).toBeLessThanOrEqual(bytes.length);
        } catch (error) {
          expect(error).toBeInstanceOf(RespProtocolError);
        }
      }),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 5 }), (args) => {
        // A command is an array of bulk strings: the parser reads it back whole.
        const parsed = parseReply(encodeCommand(args));
        expect(((parsed?.value ?? []) as Buffer[]).map((b) => b.toString("utf8"))).toEqual(args);
      }),
      RUNS,
    );
  });
});
