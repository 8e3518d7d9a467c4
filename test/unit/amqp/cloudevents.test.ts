import { describe, expect, it } from "vitest";
import {
  type CloudEvent,
  CloudEventInvalidError,
  fromAmqpMessage,
  toAmqpMessage,
} from "../../../shared/amqp/index.ts";
import { decodeMeshMessage, encodeMeshMessage } from "../../../shared/amqp/message.ts";
import { decodeMessage } from "../../../shared/amqp/rhea.ts";

const event: CloudEvent = {
  specversion: "1.0",
  id: "evt-1",
  source: "/sales/orders",
  type: "com.example.order.created",
  datacontenttype: "application/json",
  subject: "order-42",
  time: "2026-11-23T18:00:00.123+01:00",
  dataschema: "https://example.com/order.json",
  tenant: "t1",
  priority: 5,
  urgent: true,
  data: { orderId: 42, lines: [{ sku: "a", qty: 2 }] },
};

/** Through the real AMQP encoder and decoder. */
function overTheWire(message: ReturnType<typeof toAmqpMessage>) {
  return decodeMeshMessage(decodeMessage(encodeMeshMessage(message).payload));
}

describe("CloudEvents AMQP binding", () => {
  it("binary mode: attributes as cloudEvents_ application properties, datacontenttype as content-type", () => {
    const message = toAmqpMessage(event, { mode: "binary" });
    expect(message.contentType).toBe("application/json");
    expect(message.messageId).toBe("evt-1");
    expect(message.applicationProperties).toMatchObject({
      cloudEvents_specversion: "1.0",
      cloudEvents_id: "evt-1",
      cloudEvents_source: "/sales/orders",
      cloudEvents_type: "com.example.order.created",
      cloudEvents_time: "2026-11-23T18:00:00.123+01:00",
      cloudEvents_tenant: "t1",
      cloudEvents_priority: 5,
      cloudEvents_urgent: true,
    });
    expect(message.applicationProperties).not.toHaveProperty("cloudEvents_datacontenttype");
    expect(message.body).toEqual(event.data);
    expect(fromAmqpMessage(overTheWire(message))).toEqual(event);
  });

  it("structured mode: the whole event as application/cloudevents+json", () => {
    const message = toAmqpMessage(event, { mode: "structured" });
    expect(message.contentType).toBe("application/cloudevents+json; charset=utf-8");
    expect(message.body).toMatchObject({ specversion: "1.0", id: "evt-1", data: event.data });
    expect(fromAmqpMessage(overTheWire(message))).toEqual(event);
  });

  it("binary data: raw bytes in binary mode, data_base64 in structured mode", () => {
    const bin: CloudEvent = {
      specversion: "1.0",
      id: "b",
      source: "/s",
      type: "t",
      datacontenttype: "application/octet-stream",
      data: new Uint8Array([0, 255, 7]),
    };
    const structured = toAmqpMessage(bin, { mode: "structured" });
    expect(structured.body).toMatchObject({ data_base64: "AP8H" });
    expect(fromAmqpMessage(overTheWire(structured))).toEqual(bin);
    const binary = fromAmqpMessage(overTheWire(toAmqpMessage(bin, { mode: "binary" })));
    expect(Buffer.from(binary.data as Uint8Array)).toEqual(Buffer.from([0, 255, 7]));
  });

  it("an event without data round-trips without data", () => {
    const bare: CloudEvent = { specversion: "1.0", id: "x", source: "/s", type: "t" };
    expect(fromAmqpMessage(overTheWire(toAmqpMessage(bare, { mode: "binary" })))).toEqual(bare);
    expect(fromAmqpMessage(overTheWire(toAmqpMessage(bare, { mode: "structured" })))).toEqual(bare);
  });

  it("accepts the cloudEvents: prefix and native AMQP timestamps on receive", () => {
    const received = fromAmqpMessage({
      contentType: "text/plain",
      body: "hello",
      applicationProperties: {
        "cloudEvents:specversion": "1.0",
        "cloudEvents:id": "legacy",
        "cloudEvents:source": "/old",
        "cloudEvents:type": "t",
        "cloudEvents:time": new Date("2026-01-01T00:00:00Z"),
        unrelated: "ignored",
      },
    });
    expect(received).toEqual({
      specversion: "1.0",
      id: "legacy",
      source: "/old",
      type: "t",
      time: "2026-01-01T00:00:00.000Z",
      datacontenttype: "text/plain",
      data: "hello",
    });
  });

  it.each([
    ["missing id", { ...event, id: undefined }, /id/],
    ["wrong specversion", { ...event, specversion: "0.3" }, /specversion/],
    ["bad attribute name", { ...event, "Bad-Name": "x" }, /Bad-Name/],
    ["bad time", { ...event, time: "yesterday" }, /time/],
  ])("rejects an invalid event to send: %s", (_name, bad, pattern) => {
    expect(() => toAmqpMessage(bad as CloudEvent, { mode: "binary" })).toThrow(
      CloudEventInvalidError,
    );
    expect(() => toAmqpMessage(bad as CloudEvent, { mode: "binary" })).toThrow(pattern);
  });

  it("rejects what it cannot read, with a typed error", () => {
    expect(() =>
      fromAmqpMessage({ contentType: "application/cloudevents+avro", body: new Uint8Array() }),
    ).toThrow(/unsupported event format/);
    expect(() =>
      fromAmqpMessage({ contentType: "application/cloudevents+json", body: "{" }),
    ).toThrow(CloudEventInvalidError);
    expect(() => fromAmqpMessage({ body: 1, applicationProperties: {} })).toThrow(
      CloudEventInvalidError,
    );
    expect(() => fromAmqpMessage(null)).toThrow(CloudEventInvalidError);
  });
});
