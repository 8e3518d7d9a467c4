/**
 * CloudEvents attribute names as input: `__proto__` and its kin are keys like any other.
 * An invalid name is a 400 whether it comes as a binary `ce-*` header, a key of a structured
 * event, a key of a batch item, or (reading) an AMQP application property; a valid name that
 * happens to be an Object.prototype member (`constructor`, `prototype`, `valueof`…) travels
 * intact. The rule is the spec's (lower-case letters and digits, at most 20), written here
 * on its own.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CloudEventInvalidError,
  fromAmqpMessage,
  MessageInvalidError,
  toAmqpMessage,
} from "../../../shared/amqp/index.ts";
import { decodeMeshMessage, encodeMeshMessage } from "../../../shared/amqp/message.ts";
import { decodeMessage } from "../../../shared/amqp/rhea.ts";
import { prepareRequest, requestFormat } from "../../../shared/ingress/content.ts";
import { ProblemError } from "../../../shared/ingress/problem.ts";

/** CloudEvents 1.0: attribute names are lower-case ASCII letters or digits (at most 20 here). */
const SPEC_NAME = /^[a-z0-9]{1,20}$/;
/** Names with a meaning of their own in the binding, left out of the generic properties. */
const RESERVED = new Set([
  "specversion",
  "id",
  "source",
  "type",
  "datacontenttype",
  "dataschema",
  "subject",
  "time",
  "data",
  "data_base64",
]);
const PROTOTYPE_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "tostring",
  "toString",
  "valueof",
  "hasownproperty",
  "__definegetter__",
  "isprototypeof",
];

const context = { specversion: "1.0" as const, id: "e-1", source: "/test", type: "t.created" };
const encoder = new TextEncoder();

type Verdict = { status: number; detail: string } | { properties: Record<string, unknown> };

function verdictOf(call: () => { properties: Record<string, unknown> }): Verdict {
  try {
    return call();
  } catch (error) {
    if (error instanceof ProblemError)
      return { status: error.problem.status, detail: error.problem.detail };
    throw error;
  }
}

function binary(name: string): Verdict {
  return verdictOf(() => {
    const headers: Record<string, string> = Object.create(null);
    Object.assign(headers, {
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-id": "e-1",
      "ce-source": "/test",
      "ce-type": "t.created",
    });
    headers[`ce-${name}`] = "x";
    const prepared = prepareRequest(
      requestFormat(headers),
      encoder.encode("{}"),
      headers,
      undefined,
    );
    if (prepared.kind !== "single") throw new Error("not single");
    return { properties: prepared.prepared.message.applicationProperties ?? {} };
  });
}

/** A structured event (or a batch of one) whose JSON text carries `name`. */
function eventJson(name: string): string {
  return `{${Object.entries(context)
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join(",")},${JSON.stringify(name)}:"x","data":{}}`;
}

function structured(name: string): Verdict {
  return verdictOf(() => {
    const headers = { "content-type": "application/cloudevents+json" };
    const prepared = prepareRequest(
      requestFormat(headers),
      encoder.encode(eventJson(name)),
      headers,
      undefined,
    );
    if (prepared.kind !== "single") throw new Error("not single");
    // Forwarded as sent: what the consumer reads is the event in the body.
    const event = fromAmqpMessage(prepared.prepared.message);
    return { properties: { ...event } };
  });
}

function batchItem(name: string): Verdict {
  const headers = { "content-type": "application/cloudevents-batch+json" };
  const prepared = prepareRequest(
    requestFormat(headers),
    encoder.encode(`[${eventJson(name)}]`),
    headers,
    undefined,
  );
  if (prepared.kind !== "batch") throw new Error("not a batch");
  const [item] = prepared.items;
  if (item === undefined) throw new Error("no item");
  if (!item.ok) return { status: item.problem.status, detail: item.problem.detail };
  return { properties: { ...fromAmqpMessage(item.prepared.message) } };
}

describe("CloudEvents attribute names that are Object.prototype keys", () => {
  it("`ce-__proto__` in binary mode: 400 naming the attribute (it used to vanish and the event went out)", () => {
    const verdict = binary("__proto__");
    expect(verdict).toMatchObject({ status: 400 });
    expect((verdict as { detail: string }).detail).toContain("__proto__");
  });

  it("`__proto__` as a key of a structured event: 400 naming it", () => {
    const verdict = structured("__proto__");
    expect(verdict).toMatchObject({ status: 400 });
    expect((verdict as { detail: string }).detail).toContain("__proto__");
  });

  it("`__proto__` as a key of a batch item: that item is a 400 naming it", () => {
    const verdict = batchItem("__proto__");
    expect(verdict).toMatchObject({ status: 400 });
    expect((verdict as { detail: string }).detail).toContain("__proto__");
  });

  it("reading: an application property `cloudEvents___proto__` is an invalid CloudEvent, also over the wire", () => {
    const direct = () =>
      fromAmqpMessage({
        contentType: "application/json",
        body: {},
        applicationProperties: {
          cloudEvents_specversion: "1.0",
          cloudEvents_id: "e-1",
          cloudEvents_source: "/test",
          cloudEvents_type: "t",
          cloudEvents___proto__: "x",
        },
      });
    expect(direct).toThrow(CloudEventInvalidError);
    expect(direct).toThrow(/__proto__/);
    const wire = decodeMeshMessage(
      decodeMessage(
        encodeMeshMessage({
          body: {},
          applicationProperties: {
            cloudEvents_specversion: "1.0",
            cloudEvents_id: "e-1",
            cloudEvents_source: "/test",
            cloudEvents_type: "t",
            "cloudEvents:__proto__": "x",
          },
        }).payload,
      ),
    );
    expect(() => fromAmqpMessage(wire)).toThrow(/__proto__/);
  });

  it("reading a structured event whose JSON has a `__proto__` key: invalid, naming it", () => {
    const read = () =>
      fromAmqpMessage({
        contentType: "application/cloudevents+json",
        body: encoder.encode(eventJson("__proto__")),
      });
    expect(read).toThrow(CloudEventInvalidError);
    expect(read).toThrow(/__proto__/);
  });

  it("`constructor`, `prototype`, `valueof` are valid names and travel intact, through the wire too", () => {
    for (const name of ["constructor", "prototype", "valueof", "hasownproperty"]) {
      expect(binary(name), name).toEqual({
        properties: expect.objectContaining({ [`cloudEvents_${name}`]: "x" }),
      });
      expect(structured(name), name).toEqual({
        properties: expect.objectContaining({ [name]: "x" }),
      });
      expect(batchItem(name), name).toEqual({
        properties: expect.objectContaining({ [name]: "x" }),
      });
      const event = { ...context, [name]: "x", data: { n: 1 } };
      for (const mode of ["binary", "structured"] as const) {
        const wire = decodeMeshMessage(
          decodeMessage(encodeMeshMessage(toAmqpMessage(event, { mode })).payload),
        );
        expect(fromAmqpMessage(wire)[name], `${name} ${mode}`).toBe("x");
      }
    }
  });

  it("an application property named `__proto__` is refused when encoding, not dropped", () => {
    const properties = JSON.parse('{"__proto__":"x","tenant":"t1"}');
    expect(() => encodeMeshMessage({ body: 1, applicationProperties: properties })).toThrow(
      MessageInvalidError,
    );
    expect(() => encodeMeshMessage({ body: 1, applicationProperties: properties })).toThrow(
      /__proto__/,
    );
  });

  it("received application properties named after Object.prototype members are kept", () => {
    const wire = decodeMeshMessage(
      decodeMessage(
        encodeMeshMessage({
          body: 1,
          applicationProperties: { constructor: "c", toString: "s", hasOwnProperty: 3 },
        }).payload,
      ),
    );
    expect(wire.applicationProperties.constructor).toBe("c");
    expect(wire.applicationProperties.toString).toBe("s");
    expect(wire.applicationProperties.hasOwnProperty).toBe(3);
  });
});

/** Names: the prototype keys, spec-valid names, and anything at all. */
const attributeName = fc
  .oneof(
    fc.constantFrom(...PROTOTYPE_KEYS),
    fc.stringMatching(/^[a-z0-9]{1,20}$/),
    fc.string({ minLength: 1, maxLength: 24 }),
  )
  .filter((name) => !RESERVED.has(name));

describe("fuzz: attribute names in every content mode", () => {
  it("binary headers: a 400 naming the attribute exactly when the spec refuses the name; else it travels", () => {
    fc.assert(
      fc.property(
        // Header names reach the core lower-cased; only header-name characters (RFC 9110 token).
        attributeName
          .map((n) => n.toLowerCase())
          .filter((n) => /^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(n) && !RESERVED.has(n)),
        (name) => {
          const verdict = binary(name);
          if (SPEC_NAME.test(name)) {
            expect(verdict).toEqual({
              properties: expect.objectContaining({ [`cloudEvents_${name}`]: "x" }),
            });
          } else {
            expect(verdict).toMatchObject({ status: 400 });
            expect((verdict as { detail: string }).detail).toContain(JSON.stringify(name));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("structured events and batch items: the same rule, the same answer", () => {
    fc.assert(
      fc.property(attributeName, (name) => {
        for (const verdict of [structured(name), batchItem(name)]) {
          if (SPEC_NAME.test(name)) {
            expect(verdict).toEqual({ properties: expect.objectContaining({ [name]: "x" }) });
          } else {
            expect(verdict).toMatchObject({ status: 400 });
            expect((verdict as { detail: string }).detail).toContain(JSON.stringify(name));
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it("reading application properties: an invalid name is a CloudEventInvalidError naming it", () => {
    fc.assert(
      fc.property(
        attributeName,
        fc.constantFrom("cloudEvents_", "cloudEvents:"),
        (name, prefix) => {
          const applicationProperties: Record<string, unknown> = Object.create(null);
          for (const [k, v] of Object.entries(context))
            applicationProperties[`cloudEvents_${k}`] = v;
          applicationProperties[`${prefix}${name}`] = "x";
          const read = () =>
            fromAmqpMessage({ contentType: "application/json", body: {}, applicationProperties });
          if (SPEC_NAME.test(name)) expect(read()[name]).toBe("x");
          else expect(read).toThrow(CloudEventInvalidError);
        },
      ),
      { numRuns: 500 },
    );
  });
});
