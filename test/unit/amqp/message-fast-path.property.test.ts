/**
 * publish's fast path for plain messages (message.ts plainMessage) takes a message as it is
 * only when the schema would accept it unchanged: whatever it takes, the schema parses to
 * the same message; whatever the schema refuses, it leaves to the schema.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { meshMessageSchema, plainMessage } from "../../../shared/amqp/message.ts";

const withoutUndefined = (o: object) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const value = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.string(),
  fc.constant(""),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.date(),
  fc.uint8Array({ maxLength: 4 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
  fc.constantFrom("data", "value", "other"),
);

const message = fc.record(
  {
    body: value,
    contentType: value,
    messageId: value,
    correlationId: value,
    subject: value,
    replyTo: value,
    bodySection: value,
    ttlMs: value,
    creationTime: value,
    applicationProperties: value,
    extra: value,
  },
  { requiredKeys: [] },
);

describe("publish's fast path for plain messages", () => {
  it("takes a message only when the schema accepts it as it is", () => {
    fc.assert(
      fc.property(message, (m) => {
        const fast = plainMessage(m as never);
        if (fast === undefined) return;
        const parsed = meshMessageSchema.safeParse(m);
        expect(parsed.success).toBe(true);
        expect(withoutUndefined(parsed.data as object)).toEqual(withoutUndefined(fast));
      }),
      { numRuns: 2_000 },
    );
  });

  it("agrees with the schema on every single field of a plain message, value by value", () => {
    const candidates: unknown[] = [
      undefined,
      null,
      "",
      "x",
      0,
      1.5,
      -1,
      true,
      new Date(0),
      new Uint8Array([1]),
      [],
      {},
      "data",
      "value",
    ];
    const keys = [
      "body",
      "contentType",
      "messageId",
      "correlationId",
      "subject",
      "replyTo",
      "bodySection",
      "ttlMs",
      "creationTime",
      "applicationProperties",
      "extra",
    ];
    for (const key of keys)
      for (const candidate of candidates) {
        const m = { body: { a: 1 }, [key]: candidate };
        const fast = plainMessage(m as never);
        if (fast === undefined) continue;
        const parsed = meshMessageSchema.safeParse(m);
        expect(parsed.success, `${key}: ${String(candidate)}`).toBe(true);
        expect(withoutUndefined(parsed.data as object)).toEqual(withoutUndefined(fast));
      }
  });

  it("takes the common shapes: a body, with a content type and a message id", () => {
    expect(plainMessage({ body: { a: 1 } })).toBeDefined();
    expect(plainMessage({ body: "x", contentType: "text/plain", messageId: "m-1" })).toBeDefined();
    expect(plainMessage({ body: new Uint8Array([1]), bodySection: "data" })).toBeDefined();
  });

  it("leaves the rest to the schema: no body, empty ids, unknown keys, properties", () => {
    expect(plainMessage({ body: undefined } as never)).toBeUndefined();
    expect(plainMessage({ body: 1, messageId: "" })).toBeUndefined();
    expect(plainMessage({ body: 1, extra: true } as never)).toBeUndefined();
    expect(plainMessage({ body: 1, applicationProperties: { a: 1 } })).toBeUndefined();
    expect(plainMessage(Object.create({ body: 1 }))).toBeUndefined();
  });
});
