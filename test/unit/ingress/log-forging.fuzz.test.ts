/**
 * Log forging through the ingress: key names, header values and principals with newlines,
 * carriage returns, bidi overrides and other control characters, into the core with a real
 * publisher on an emulated router. No string of any answer (problem detail, violation
 * pointer and detail, batch item problems) holds a raw control character, and nothing is
 * published.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bodyFromBytes, type IngressRequest } from "../../../shared/ingress/index.ts";
import { IngressHarness } from "../../integration/ingress/harness.ts";
import { startTestMesh, stopAllMeshes } from "../../support/local-mesh.ts";

let h: IngressHarness;
let probe: Awaited<ReturnType<IngressHarness["consume"]>>;

beforeAll(async () => {
  const mesh = await startTestMesh({ routers: [{ id: "edge" }] });
  h = await IngressHarness.start(mesh.router("edge").url);
  probe = await h.consume("sales/orders");
});
afterAll(async () => {
  await probe.expectNothingPublished();
  await h.close();
  await stopAllMeshes();
});

// Written out here, not taken from the code under test.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const hostileText = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom("\n", "\r\n", "\u2028", "\u202e", "\u0000", "\u001b[31m", "\u0085"),
      fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)),
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((parts) => parts.join(""))
  .filter((s) => RAW_CONTROL.test(s));

const valid = { orderId: "ord-1", customerId: "c", lines: [{ sku: "s", quantity: 1 }] };
const encoder = new TextEncoder();
const ORDERS = "/channels/sales%2Forders/messages";

/** Requests that fail (4xx) while quoting the hostile text somewhere. */
const requests: fc.Arbitrary<IngressRequest> = fc
  .tuple(
    hostileText,
    fc.constantFrom("extra-key", "nested-key", "batch", "event", "idempotency", "platform", "path"),
  )
  .map(([text, kind]): IngressRequest => {
    const json = { "content-type": "application/json", ...h.apiKey() };
    const post = (body: unknown, headers: Record<string, string> = json): IngressRequest => ({
      method: "POST",
      path: ORDERS,
      headers,
      body: bodyFromBytes(encoder.encode(JSON.stringify(body))),
    });
    switch (kind) {
      case "extra-key":
        return post({ ...valid, [text]: 1 });
      case "nested-key":
        return post({ ...valid, lines: [{ sku: "s", quantity: 1, [text]: 2 }], [text]: 0 });
      case "batch":
        return post([{ ...valid, [text]: 1 }, { [text]: true }]);
      case "event":
        return post(
          { specversion: "1.0", id: text, source: text, type: text, data: { [text]: 1 } },
          { ...h.apiKey(), "content-type": "application/cloudevents+json" },
        );
      case "idempotency":
        // Wrapped: surrounding whitespace is trimmed off a header value.
        return post(valid, { ...json, "idempotency-key": `k${text}k` });
      case "platform":
        return { ...post(valid), platformPrincipal: text };
      case "path":
        return { ...post(valid), path: `/channels/${encodeURIComponent(text)}/messages` };
    }
    throw new Error(kind);
  });

function strings(value: unknown, into: string[] = []): string[] {
  if (typeof value === "string") into.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, into);
  else if (typeof value === "object" && value !== null)
    for (const [k, v] of Object.entries(value)) {
      into.push(k);
      strings(v, into);
    }
  return into;
}

describe("ingress answers never carry a raw control character", () => {
  it("problems quoting hostile key names, ids, principals and channel names", async () => {
    await fc.assert(
      fc.asyncProperty(requests, async (request) => {
        const response = await h.ingress.handle(request);
        expect(response.status, response.body).toBeGreaterThanOrEqual(400);
        expect(response.status, response.body).toBeLessThan(500);
        expect(response.outcome.published).toBe(0);
        const texts = strings(JSON.parse(response.body));
        expect(texts.length).toBeGreaterThan(3);
        for (const text of texts) expect(text, JSON.stringify(text)).not.toMatch(RAW_CONTROL);
      }),
      { numRuns: 400 },
    );
  });
});
