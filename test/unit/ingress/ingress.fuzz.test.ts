/**
 * Fuzzing the ingress's input boundary: thousands of malformed requests — bodies, headers,
 * content types, credentials, paths — into the core, and raw HTTP bytes into the local
 * adapter, with a real publisher and a consumer on an emulated router. Every answer is a 4xx
 * problem, nothing crashes, and the channel receives nothing (a sentinel is its first
 * message afterwards).
 */
import { connect } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalIngress } from "../../../functions/node/ingress.ts";
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

const encoder = new TextEncoder();

/** Orders with one thing wrong: a field missing, mistyped, out of pattern, or extra. */
const brokenOrder = fc
  .record(
    {
      orderId: fc.oneof(fc.string(), fc.integer(), fc.constant("ord-x"), fc.constant(null)),
      customerId: fc.oneof(fc.string(), fc.integer(), fc.boolean()),
      lines: fc.oneof(
        fc.constant([]),
        fc.array(
          fc.record({ sku: fc.oneof(fc.string(), fc.integer()), quantity: fc.integer({ max: 0 }) }),
        ),
        fc.jsonValue(),
      ),
      extra: fc.jsonValue(),
    },
    { requiredKeys: [] },
  )
  .filter(
    (o) =>
      !(typeof o.orderId === "string" && /^ord-[0-9]+$/.test(o.orderId)) || !("customerId" in o),
  );

const eventAround = (data: fc.Arbitrary<unknown>) =>
  fc.record(
    {
      specversion: fc.oneof(fc.constant("1.0"), fc.string()),
      id: fc.oneof(fc.string(), fc.integer()),
      source: fc.string(),
      type: fc.string(),
      time: fc.oneof(fc.string(), fc.constant("2026-01-01T00:00:00Z")),
      datacontenttype: fc.oneof(fc.constant("application/json"), fc.string()),
      data: data,
      data_base64: fc.base64String(),
    },
    { requiredKeys: [] },
  );

const bodies: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 200 }).map((s) => encoder.encode(s)),
  fc.json().map((s) => encoder.encode(s)),
  brokenOrder.map((o) => encoder.encode(JSON.stringify(o))),
  fc.array(brokenOrder, { maxLength: 5 }).map((a) => encoder.encode(JSON.stringify(a))),
  eventAround(fc.oneof(brokenOrder, fc.jsonValue())).map((e) => encoder.encode(JSON.stringify(e))),
  fc
    .array(eventAround(brokenOrder), { maxLength: 4 })
    .map((a) => encoder.encode(JSON.stringify(a))),
  fc.string().map((s) => encoder.encode(`{"orderId":"ord-1",${s}`)),
  // Past sales/orders' maxMessageSize (64 KiB).
  fc.nat({ max: 5_000 }).map((n) => new Uint8Array(65_537 + n).fill(0x20)),
);

const contentTypes = fc.oneof(
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=iso-8859-1",
    "application/cloudevents+json",
    "application/cloudevents-batch+json",
    "application/vnd.shop+json",
    "text/plain",
    "application/octet-stream",
    "",
    "application/",
    ";",
  ),
  fc.string({ maxLength: 40 }),
);

const ceHeaders = fc.dictionary(
  fc.constantFrom(
    "ce-specversion",
    "ce-id",
    "ce-source",
    "ce-type",
    "ce-time",
    "ce-datacontenttype",
    "ce-Bad_Name",
    "ce-",
  ),
  fc.oneof(fc.string({ maxLength: 30 }), fc.constant("%E0%A4%A"), fc.constant("1.0")),
  { maxKeys: 6 },
);

type Credential = "valid" | "wrong" | "none" | "bearer-junk" | "not-a-producer";
const credentials = fc.constantFrom<Credential>(
  "valid",
  "valid",
  "valid",
  "wrong",
  "none",
  "bearer-junk",
  "not-a-producer",
);

function authHeaders(kind: Credential, junk: string): Record<string, string> {
  switch (kind) {
    case "valid":
      return h.apiKey();
    case "not-a-producer":
      return h.apiKey("logistics-tracker");
    case "wrong":
      return { "x-api-key": junk };
    case "bearer-junk":
      return { authorization: `Bearer ${junk}` };
    case "none":
      return {};
  }
}

const requests: fc.Arbitrary<IngressRequest> = fc
  .record({
    method: fc.oneof(
      fc.constant("POST"),
      fc.constant("POST"),
      fc.constantFrom("GET", "PUT", "post", "DELETE"),
      fc.string({ maxLength: 8 }),
    ),
    path: fc.oneof(
      fc.constant("/channels/sales%2Forders/messages"),
      fc.constant("/channels/sales.orders/messages/"),
      fc.string({ maxLength: 30 }).map((s) => `/channels/${encodeURIComponent(s)}/messages`),
      fc.constant("/channels/%E0%A4%A/messages"),
      fc.string({ maxLength: 40 }),
    ),
    contentType: fc.option(contentTypes),
    ce: ceHeaders,
    idempotency: fc.option(
      fc.oneof(fc.string({ maxLength: 20 }), fc.constant('"ok-key"'), fc.constant('"')),
    ),
    credential: credentials,
    junk: fc.string({ maxLength: 60 }),
    extra: fc.dictionary(
      fc.string({ maxLength: 12 }).map((s) => s.toLowerCase()),
      fc.string({ maxLength: 30 }),
      { maxKeys: 4 },
    ),
    body: bodies,
  })
  .map((r) => ({
    method: r.method,
    path: r.path,
    headers: {
      ...r.extra,
      ...r.ce,
      ...(r.contentType === null ? {} : { "content-type": r.contentType }),
      ...(r.idempotency === null ? {} : { "idempotency-key": r.idempotency }),
      ...authHeaders(r.credential, r.junk),
    },
    body: bodyFromBytes(r.body),
  }));

describe("ingress fuzz", () => {
  it("answers every malformed request with a 4xx problem and publishes nothing", async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(requests, async (request) => {
        const response = await h.ingress.handle(request);
        seen.add(response.status);
        expect(response.status, response.body).toBeGreaterThanOrEqual(400);
        expect(response.status, response.body).toBeLessThan(500);
        expect(response.outcome.published).toBe(0);
        const problem = JSON.parse(response.body);
        expect(response.headers["content-type"]).toBe("application/problem+json");
        expect(problem.status).toBe(response.status);
        expect(problem.type).toMatch(/^urn:amqp-mesh:problem:/);
      }),
      { numRuns: 3_000 },
    );
    // The fuzzer reached every check, not only the first one.
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([400, 401, 403, 404, 405, 413, 415, 422]),
    );
  });

  it("survives raw HTTP garbage on the local adapter: 4xx or a closed connection, never a crash", async () => {
    const server = await startLocalIngress(h.ingress);
    const request = fc.oneof(
      fc.string({ unit: "binary", maxLength: 300 }),
      fc
        .record({
          line: fc.oneof(
            fc.constant("POST /channels/sales%2Forders/messages HTTP/1.1"),
            fc.string({ maxLength: 60 }),
          ),
          headers: fc.array(fc.string({ unit: "binary", maxLength: 40 }), { maxLength: 6 }),
          length: fc.oneof(fc.nat({ max: 200_000 }).map(String), fc.string({ maxLength: 5 })),
          body: fc.string({ maxLength: 200 }),
        })
        .map(
          (r) =>
            `${r.line}\r\nhost: 127.0.0.1\r\n${r.headers.join("\r\n")}\r\ncontent-type: application/json\r\n` +
            `x-api-key: ${h.keys["sales-api"]}\r\ncontent-length: ${r.length}\r\nconnection: close\r\n\r\n${r.body}`,
        ),
    );
    try {
      await fc.assert(
        fc.asyncProperty(request, async (text) => {
          const status = await rawHttp(server.port, text);
          if (status !== undefined) {
            expect(status).toBeGreaterThanOrEqual(400);
            expect(status).toBeLessThan(500);
          }
        }),
        { numRuns: 300 },
      );
    } finally {
      await server.close();
    }
  });
});

/** Sends raw bytes; the status of the first response, or undefined if the server just closed. */
function rawHttp(port: number, text: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    const timer = setTimeout(() => {
      socket.destroy();
      // Still waiting for the rest of a declared body: the server is fine, the client is slow.
      resolve(undefined);
    }, 1_000);
    socket.on("data", (d) => {
      answer += d.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
      resolve(match ? Number(match[1]) : undefined);
    });
    socket.write(Buffer.from(text, "latin1"), (error) => {
      if (error) reject(error);
    });
    socket.end();
  });
}
