import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CloudEvent,
  CloudEventInvalidError,
  fromAmqpMessage,
  toAmqpMessage,
} from "../../../shared/amqp/index.ts";
import { decodeMeshMessage, encodeMeshMessage } from "../../../shared/amqp/message.ts";
import { decodeMessage } from "../../../shared/amqp/rhea.ts";

/** Values shaped like messages, and plain garbage. */
const messageLike = fc.oneof(
  fc.anything(),
  fc.record(
    {
      contentType: fc.oneof(
        fc.constantFrom(
          "application/cloudevents+json",
          "application/json",
          "application/cloudevents+xml",
        ),
        fc.string(),
      ),
      body: fc.oneof(fc.anything(), fc.uint8Array(), fc.json(), fc.string()),
      applicationProperties: fc.oneof(
        fc.anything(),
        fc.dictionary(
          fc.oneof(
            fc.constantFrom(
              "cloudEvents_id",
              "cloudEvents:type",
              "cloudEvents_specversion",
              "cloudEvents_",
            ),
            fc.string(),
          ),
          fc.oneof(
            fc.string(),
            fc.integer(),
            fc.boolean(),
            fc.date(),
            fc.constant(null),
            fc.anything(),
          ),
        ),
      ),
    },
    { requiredKeys: [] },
  ),
);

describe("fromAmqpMessage fuzz", () => {
  it("never throws anything but CloudEventInvalidError, whatever the input", () => {
    fc.assert(
      fc.property(messageLike, (input) => {
        try {
          fromAmqpMessage(input);
        } catch (error) {
          expect(error).toBeInstanceOf(CloudEventInvalidError);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  const attrName = fc
    .stringMatching(/^[a-z][a-z0-9]{0,15}$/)
    .filter(
      (n) =>
        ![
          "specversion",
          "id",
          "source",
          "type",
          "datacontenttype",
          "dataschema",
          "subject",
          "time",
          "data",
        ].includes(n) && !n.startsWith("data"),
    );
  const validEvent = fc.record({
    specversion: fc.constant("1.0" as const),
    id: fc.string({ minLength: 1 }),
    source: fc.string({ minLength: 1 }),
    type: fc.string({ minLength: 1 }),
    subject: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
    extensions: fc.dictionary(attrName, fc.oneof(fc.string(), fc.integer(), fc.boolean()), {
      maxKeys: 3,
    }),
    data: fc.option(fc.jsonValue(), { nil: undefined }),
  });

  it("valid events round-trip in both modes over the wire", () => {
    fc.assert(
      fc.property(
        validEvent,
        fc.constantFrom("binary" as const, "structured" as const),
        (e, mode) => {
          const { extensions, ...core } = e;
          const event = JSON.parse(JSON.stringify({ ...extensions, ...core })) as CloudEvent;
          const message = toAmqpMessage(event, { mode });
          const received = decodeMeshMessage(decodeMessage(encodeMeshMessage(message).payload));
          const back = fromAmqpMessage(received);
          const expected =
            mode === "binary" && event.data !== undefined
              ? { ...event, datacontenttype: "application/json" }
              : event;
          expect(back).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
