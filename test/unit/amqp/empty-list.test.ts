import rhea from "rhea";
import { describe, expect, it } from "vitest";
import "../../../shared/amqp/rhea-types.ts";

/** rhea's decoder, as its frame and message parsing use it. */
const { Reader } = (
  rhea as unknown as { types: { Reader: new (bytes: Buffer) => { read(): unknown } } }
).types;

/** The list a described empty list (a target terminus, descriptor 0x29) decodes to. */
function decodedEmptyList(): unknown[] {
  return (new Reader(Buffer.from([0x00, 0x53, 0x29, 0x45])).read() as { value: unknown[] }).value;
}

describe("empty lists (AMQP list0)", () => {
  it("decode as an empty list of their own, whatever was written into an earlier one", () => {
    const first = decodedEmptyList();
    expect(first).toEqual([]);
    // What rhea's composite setters do when a field of a decoded empty terminus is set.
    first[0] = "an address set on an earlier terminus";
    expect(decodedEmptyList()).toEqual([]);
  });
});
