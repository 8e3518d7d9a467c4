/**
 * The AWS ingress's front on the local platform builds the API Gateway HTTP API v2 event from
 * any request: the body reaches the handler byte for byte (text when it is UTF-8 of a textual
 * type, base64 otherwise), the path as sent, the channel parameter decoded — or as sent when
 * its percent-encoding is broken — and nothing it is given makes it throw.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FrontRequest, httpApiEvent } from "../../../cli/local/cloud-ingress.ts";

const request: fc.Arbitrary<FrontRequest> = fc.record({
  method: fc.constantFrom("POST", "GET", "PUT"),
  path: fc.oneof(
    fc.string().map((s) => `/${s}`),
    fc.string().map((s) => `/channels/${s}/messages`),
    fc.constantFrom("/channels/%E0%A4%A/messages", "/channels/sales%2Forders/messages"),
  ),
  query: fc.string(),
  headers: fc.record(
    {
      "content-type": fc.constantFrom(
        "application/json",
        "text/plain; charset=utf-8",
        "application/octet-stream",
        "image/png",
      ),
      "user-agent": fc.string(),
    },
    { requiredKeys: [] },
  ),
  body: fc.oneof(
    fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
    fc.string().map((s) => Buffer.from(s, "utf8")),
  ),
});

describe("httpApiEvent (the local API Gateway's event)", () => {
  it("carries any body byte for byte, the path as sent, never throws", () => {
    fc.assert(
      fc.property(request, (r) => {
        const event = httpApiEvent(r);
        expect(event.rawPath).toBe(r.path);
        expect(event.requestContext.http.method).toBe(r.method);
        const bytes =
          event.body === undefined
            ? Buffer.alloc(0)
            : Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8");
        expect(bytes.equals(r.body)).toBe(true);
        const segments = r.path.split("/");
        if (segments[1] === "channels" && segments[2] !== undefined)
          expect(typeof event.pathParameters?.channel).toBe("string");
      }),
      { numRuns: 500 },
    );
  });

  it("a channel percent-encoded is decoded; a broken encoding is left as sent", () => {
    const base = { method: "POST", query: "", headers: {}, body: Buffer.from("{}") };
    expect(
      httpApiEvent({ ...base, path: "/channels/sales%2Forders/messages" }).pathParameters?.channel,
    ).toBe("sales/orders");
    expect(
      httpApiEvent({ ...base, path: "/channels/%E0%A4%A/messages" }).pathParameters?.channel,
    ).toBe("%E0%A4%A");
  });
});
