/** Every input boundary of the client, fuzzed: only typed errors, never a crash. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  MessageInvalidError,
  parseMeshClientConfig,
  parseTraceparent,
  redactUrl,
} from "../../../shared/amqp/index.ts";
import { decodeMeshMessage, encodeMeshMessage } from "../../../shared/amqp/message.ts";
import { dataSection, decodeMessage, encodeMessage } from "../../../shared/amqp/rhea.ts";

describe("boundary fuzzing", () => {
  it("parseMeshClientConfig: a config or a ConfigError, whatever the input", () => {
    const configish = fc.record(
      {
        urls: fc.oneof(
          fc.array(fc.oneof(fc.webUrl(), fc.constant("amqp://h:1"), fc.string())),
          fc.anything(),
        ),
        sasl: fc.anything(),
        tls: fc.anything(),
        idleTimeoutMs: fc.anything(),
        reconnect: fc.anything(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.anything(), configish), (input) => {
        try {
          parseMeshClientConfig(input);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it("redactUrl never leaks the password of an amqp url", () => {
    const part = fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/);
    fc.assert(
      fc.property(part, part, part, (user, password, host) => {
        fc.pre(!user.includes(password) && !host.includes(password) && password !== "***");
        expect(redactUrl(`amqps://${user}:${password}@${host}:5671`)).toBe(
          `amqps://${user}:***@${host}:5671`,
        );
      }),
    );
  });

  it("decodeMeshMessage: any message rhea can decode becomes a ReceivedMessage or a MessageInvalidError", () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.date({ noInvalidDate: true }),
    );
    const raw = fc.record(
      {
        message_id: fc.oneof(fc.string(), fc.nat()),
        correlation_id: fc.string(),
        subject: fc.string(),
        content_type: fc.constantFrom(
          "application/json",
          "text/plain",
          "application/octet-stream",
          "x/y+json",
        ),
        application_properties: fc.dictionary(fc.string(), value),
        body: fc.oneof(
          fc.uint8Array().map((b) => dataSection(Buffer.from(b))),
          fc.jsonValue().map((v) => dataSection(Buffer.from(JSON.stringify(v) ?? "null"))),
          fc.oneof(fc.string(), fc.integer(), fc.dictionary(fc.string(), fc.string())),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(raw, (message) => {
        const decoded = decodeMessage(encodeMessage(message));
        try {
          const received = decodeMeshMessage(decoded);
          expect(typeof received.applicationProperties).toBe("object");
        } catch (error) {
          expect(error).toBeInstanceOf(MessageInvalidError);
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it("JSON bodies survive encode → decode exactly", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        // JSON.stringify turns -0 into 0; compare through JSON.
        const expected = JSON.parse(JSON.stringify(body)) as unknown;
        const received = decodeMeshMessage(
          decodeMessage(encodeMeshMessage({ body: expected as never }).payload),
        );
        expect(received.body).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it("parseTraceparent never throws", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-f-]{0,60}$/)), (header) => {
        parseTraceparent(header);
      }),
      { numRuns: 2_000 },
    );
  });
});
