import { describe, expect, it } from "vitest";
import { MessageInvalidError } from "../../../shared/amqp/index.ts";
import { decodeMeshMessage, encodeMeshMessage } from "../../../shared/amqp/message.ts";
import { decodeMessage, encodeMessage } from "../../../shared/amqp/rhea.ts";

function roundTrip(message: Parameters<typeof encodeMeshMessage>[0]) {
  const encoded = encodeMeshMessage(message);
  return {
    encoded,
    raw: decodeMessage(encoded.payload),
    received: decodeMeshMessage(decodeMessage(encoded.payload)),
  };
}

describe("message encoding", () => {
  it("JSON bodies travel as a data section with application/json", () => {
    const { raw, received } = roundTrip({
      body: { a: 1, b: [true, null, "x"] },
      messageId: "id-1",
    });
    expect(raw.content_type).toBe("application/json");
    expect((raw.body as { typecode: number }).typecode).toBe(0x75);
    expect(received).toMatchObject({ body: { a: 1, b: [true, null, "x"] }, messageId: "id-1" });
  });

  it("bytes stay bytes; text content types decode as strings", () => {
    expect(
      Buffer.from(roundTrip({ body: new Uint8Array([1, 2, 3]) }).received.body as Uint8Array),
    ).toEqual(Buffer.from([1, 2, 3]));
    const text = roundTrip({ body: "héllo", contentType: "text/plain; charset=utf-8" }).received;
    expect(text.body).toBe("héllo");
    expect(roundTrip({ body: "just a JSON string" }).received.body).toBe("just a JSON string");
  });

  it("keeps headers and properties; integers are AMQP longs", () => {
    const creationTime = new Date(1_700_000_000_123);
    const applicationProperties = {
      big: 2 ** 40,
      small: 3,
      neg: -1,
      pi: 3.14,
      s: "x",
      b: false,
      n: null,
    };
    const { raw, received } = roundTrip({
      body: 1,
      correlationId: "c",
      subject: "s",
      replyTo: "r",
      ttlMs: 5_000,
      creationTime,
      applicationProperties,
    });
    expect(received).toMatchObject({
      correlationId: "c",
      subject: "s",
      replyTo: "r",
      ttlMs: 5_000,
      creationTime,
    });
    expect(received.applicationProperties).toEqual(applicationProperties);
    expect(raw.durable).toBe(true);
  });

  it("generates a message id once; the encoded bytes carry it", () => {
    const { encoded, received } = roundTrip({ body: 1 });
    expect(received.messageId).toBe(encoded.messageId);
  });

  it("invalid messages are MessageInvalidError", () => {
    expect(() => encodeMeshMessage({ body: 1, ttlMs: -5 })).toThrow(MessageInvalidError);
    expect(() => encodeMeshMessage({ body: { n: 10n } as never })).toThrow(MessageInvalidError);
  });

  it("a JSON content type with a broken body is MessageInvalidError on decode", () => {
    const payload = encodeMessage({
      content_type: "application/json",
      body: Buffer.from("{x"),
    } as never);
    expect(() => decodeMeshMessage(decodeMessage(payload))).not.toThrow();
    const encoded = encodeMeshMessage({ body: Buffer.from("{x"), contentType: "application/json" });
    expect(() => decodeMeshMessage(decodeMessage(encoded.payload))).toThrow(MessageInvalidError);
  });

  it("bodySection value sends the JSON value as an AMQP value (what router management reads)", () => {
    const { raw, received } = roundTrip({
      body: { attributeNames: ["a"], n: 1 },
      bodySection: "value",
    });
    expect(raw.body).toEqual({ attributeNames: ["a"], n: 1 });
    expect(raw.content_type).toBeUndefined();
    expect(received.body).toEqual({ attributeNames: ["a"], n: 1 });
  });

  it("amqp-value bodies from other peers decode to JSON-like values", () => {
    const payload = encodeMessage({ body: { k: "v", list: [1, 2] }, message_id: 7 } as never);
    const received = decodeMeshMessage(decodeMessage(payload));
    expect(received.body).toEqual({ k: "v", list: [1, 2] });
    expect(received.messageId).toBe("7");
  });
});
