/**
 * The local HTTP ingress at the connection level, with raw sockets: a client that half-closes
 * after its request (`shutdown(SHUT_WR)`, as `curl` over some proxies and `nc -N` do) still
 * gets its answer, and a valid request followed by pipelined garbage gets its own answer
 * before the 400 that closes the connection. In both cases the message is published once,
 * so an answer lost here would be a message the client believes failed.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalMesh } from "../../../emulator/index.ts";
import { startTestMesh, stopAllMeshes } from "../../support/local-mesh.ts";
import { waitFor } from "../../support/wait.ts";
import { type ChannelProbe, IngressHarness } from "./harness.ts";

let orderNumber = 1000;
const order = () =>
  JSON.stringify({
    orderId: `ord-${orderNumber++}`,
    customerId: "c-7",
    currency: "EUR",
    lines: [{ sku: "sku-1", quantity: 2 }],
  });

let mesh: LocalMesh;
let h: IngressHarness;
let orders: ChannelProbe;
let port: number;

beforeAll(async () => {
  mesh = await startTestMesh({ routers: [{ id: "r" }] });
  h = await IngressHarness.start(mesh.router("r").url);
  orders = await h.consume("sales/orders");
  // The local server starts with the driver's first request.
  const warm = await h.driver("local").send({ method: "GET", path: "/health" });
  expect(warm.status).toBeLessThan(500);
  port = Number(new URL(h.localServerUrl as string).port);
});
afterAll(async () => {
  await h?.close();
  await stopAllMeshes();
});

function request(id: string): string {
  const body = order();
  return (
    "POST /channels/sales%2Forders/messages HTTP/1.1\r\n" +
    "host: 127.0.0.1\r\n" +
    `x-api-key: ${h.keys["sales-api"]}\r\n` +
    "content-type: application/json\r\n" +
    `idempotency-key: ${id}\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** Writes `bytes` (then half-closes if asked) and collects everything until the server closes. */
function exchange(bytes: string, halfClose: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 10 s; got: ${Buffer.concat(chunks).toString()}`));
    }, 10_000);
    socket.on("connect", () => (halfClose ? socket.end(bytes) : socket.write(bytes)));
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("latin1"));
    });
  });
}

const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
const published = (id: string) => orders.received.filter((m) => m.messageId?.endsWith(`/${id}`));
/** Waits until the message of Idempotency-Key `id` arrived. */
async function arrived(id: string): Promise<void> {
  await waitFor(() => published(id).length > 0, { what: `${id} on sales/orders` });
}

describe("the local ingress's connections", () => {
  it("a body shorter than its Content-Length, then a half-close: 400 at once, nothing published", async () => {
    const full = request("short-1");
    const text = await exchange(full.slice(0, full.length - 10), true);
    expect(statuses(text)).toEqual(["400"]);
    await orders.expectNothingPublished();
  });

  it("a client that half-closes after its request gets its 202, and the message is published once", async () => {
    const text = await exchange(request("half-closed-1"), true);
    expect(statuses(text)).toEqual(["202"]);
    await arrived("half-closed-1");
    expect(published("half-closed-1")).toHaveLength(1);
  });

  it("a valid request followed by pipelined garbage: its 202 first, then 400 and close", async () => {
    const text = await exchange(`${request("pipelined-1")}GARBAGE \u0001\r\n\r\n`, false);
    expect(statuses(text)).toEqual(["202", "400"]);
    await arrived("pipelined-1");
    expect(published("pipelined-1")).toHaveLength(1);
  });

  it("two valid pipelined requests and garbage: both answers in order, then 400", async () => {
    const text = await exchange(
      `${request("pipe-a")}${request("pipe-b")}\u0000\u0000\r\n\r\n`,
      false,
    );
    expect(statuses(text)).toEqual(["202", "202", "400"]);
    await arrived("pipe-a");
    expect(published("pipe-a")).toHaveLength(1);
    await arrived("pipe-b");
    expect(published("pipe-b")).toHaveLength(1);
  });

  it("pipelined requests, garbage, then a half-close: both answers still go out", async () => {
    const text = await exchange(`${request("pipe-c")}${request("pipe-d")}\u0000\r\n\r\n`, true);
    // The client sent all it will: node closes after the last answer, the 400 may not follow.
    expect(statuses(text).slice(0, 2)).toEqual(["202", "202"]);
    await arrived("pipe-c");
    expect(published("pipe-c")).toHaveLength(1);
    await arrived("pipe-d");
    expect(published("pipe-d")).toHaveLength(1);
  });
});
