import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BodyTooLargeError,
  bodyFromNodeStream,
  bodyFromText,
  bodyFromWebStream,
  contentLength,
} from "../../../shared/ingress/index.ts";

describe("request bodies", () => {
  it("knows a base64 body's size before decoding it", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        const body = bodyFromText(Buffer.from(bytes).toString("base64"), true);
        expect(body.declaredLength).toBe(bytes.byteLength);
        expect(Buffer.from(await body.read(bytes.byteLength))).toEqual(Buffer.from(bytes));
        if (bytes.byteLength > 0)
          await expect(body.read(bytes.byteLength - 1)).rejects.toBeInstanceOf(BodyTooLargeError);
      }),
    );
  });

  it("stops reading a stream at the first chunk past the limit", async () => {
    let pulled = 0;
    const stream = new Readable({
      read() {
        pulled++;
        this.push(Buffer.alloc(1_000));
        if (pulled === 10_000) this.push(null);
      },
    });
    await expect(bodyFromNodeStream(stream, undefined).read(2_500)).rejects.toBeInstanceOf(
      BodyTooLargeError,
    );
    // The stream read ahead a little, but was not drained: the rest is never pulled.
    expect(pulled).toBeLessThan(200);
    const web = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(1_000));
      },
    });
    await expect(bodyFromWebStream(web, undefined).read(2_500)).rejects.toBeInstanceOf(
      BodyTooLargeError,
    );
  });

  it("reads Content-Length only when it is a plain number", () => {
    expect(contentLength("42")).toBe(42);
    expect(contentLength(" 7 ")).toBe(7);
    for (const bad of [undefined, "", "-1", "1e3", "0x10", "12, 12"])
      expect(contentLength(bad)).toBeUndefined();
  });
});
