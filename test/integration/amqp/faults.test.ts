/**
 * Every promise the client makes settles, once, with a typed error, under each fault a
 * function meets: no consumer, a router that never settles, a lost connection, a refused or
 * detached reply receiver, a router gone for good, close() with work pending. Faults come
 * from the scriptable peer (peer.ts) or the emulator's routers. Nothing may be left to an
 * unhandled rejection: a process listener records them and every test checks it saw none.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ClientClosedError,
  ConnectionFailedError,
  LinkRefusedError,
  MeshClient,
  type ReceivedMessage,
  RequestTimeoutError,
} from "../../../shared/amqp/index.ts";
import { startTestMesh, stopAllMeshes } from "../../support/local-mesh.ts";
import { waitFor, withTimeout } from "../../support/wait.ts";
import { closeTracked, peerAndClient, track } from "./helpers.ts";
import { TestPeer } from "./peer.ts";

const unhandled: unknown[] = [];
const recordUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeAll(() => {
  process.on("unhandledRejection", recordUnhandled);
});
afterAll(() => {
  process.off("unhandledRejection", recordUnhandled);
});
afterEach(async () => {
  await closeTracked();
  await stopAllMeshes();
  // Node reports a rejection nobody handled once the microtasks of its tick ran out.
  await new Promise((resolve) => setImmediate(resolve));
  const seen = unhandled.splice(0).map((r) => (r instanceof Error ? r.message : String(r)));
  expect(seen, "unhandled rejections while the test ran").toEqual([]);
});

const fast = { initialDelayMs: 10, maxDelayMs: 50 };

/** A service on `client` answering requests to `address` with "pong" while `answer()`. */
function pongService(client: MeshClient, address: string, answer: () => boolean = () => true) {
  return client.consume(address, async (m) => {
    if (answer()) {
      await client.publish(String(m.replyTo), { body: "pong", correlationId: m.messageId });
    }
  });
}

function transfersOf(peer: TestPeer, messageId: string): number {
  return peer.received.filter((r) => r.messageId === messageId).length;
}

/** A url nothing listens on. */
async function deadUrl(): Promise<string> {
  const peer = await TestPeer.start();
  await peer.stop();
  return peer.url;
}

describe("request() under faults", () => {
  it("to an address without consumers (emulator): RequestTimeoutError within its timeout", async () => {
    const mesh = await startTestMesh({ routers: [{ id: "x" }] });
    const client = track(new MeshClient({ urls: [mesh.router("x").url], reconnect: fast }));
    const started = Date.now();
    const error = await withTimeout(
      client.request("nobody/here", { body: 1, messageId: "req-nobody" }, { timeoutMs: 300 }),
      5_000,
      "the request to settle",
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toMatchObject({ reason: "timeout", code: "request-timeout" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // A consumer that comes later gets what is published then, never the given-up request.
    const got: ReceivedMessage[] = [];
    const consumer = client.consume("nobody/here", (m) => {
      got.push(m);
    });
    await consumer.ready();
    await mesh.waitForAddress("nobody/here");
    await client.publish("nobody/here", { body: "marker", messageId: "marker" });
    await waitFor(() => got.length >= 1, { what: "the marker" });
    expect(got.map((m) => m.messageId)).toEqual(["marker"]);
  });

  it("a reply timeout before the publish settles: RequestTimeoutError; the request is not resent later", async () => {
    const { peer, client } = await peerAndClient();
    peer.outcome = (address) => (address === "svc/held" ? "hold" : "accept");
    const error = await client
      .request("svc/held", { body: 1, messageId: "req-held" }, { timeoutMs: 200, deadline: 5_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toMatchObject({ reason: "timeout" });
    expect(transfersOf(peer, "req-held")).toBe(1);
    // After a reconnect an unsettled delivery would be resent — not one whose request gave up.
    peer.dropConnections("destroy");
    await client.publish("svc/held-probe", { body: 1 });
    expect(client.status.connections).toBe(2);
    expect(transfersOf(peer, "req-held")).toBe(1);
  });

  it("the connection lost before the publish settles: RequestTimeoutError (connection-lost) at once; the next request works", async () => {
    const { peer, client } = await peerAndClient();
    peer.outcome = (_address, id) => (id === "req-cut" ? "hold" : "accept");
    const service = pongService(client, "svc/cut");
    await service.ready();
    const pending = client
      .request("svc/cut", { body: 1, messageId: "req-cut" }, { timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    await waitFor(() => transfersOf(peer, "req-cut") === 1, { what: "the request at the peer" });
    const cutAt = Date.now();
    peer.dropConnections("destroy");
    const error = await pending;
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toMatchObject({ reason: "connection-lost" });
    expect(Date.now() - cutAt).toBeLessThan(5_000);
    const reply = await client.request("svc/cut", { body: 2 }, { timeoutMs: 5_000 });
    expect(reply.body).toBe("pong");
    // The given-up request was not resent on the new connection.
    expect(transfersOf(peer, "req-cut")).toBe(1);
  });

  it("a refused reply receiver: LinkRefusedError; a later request attaches a new one and works", async () => {
    const { peer, client } = await peerAndClient();
    let refusals = 0;
    peer.refuseAttach = ({ dynamic }) => {
      if (!dynamic || refusals > 0) return undefined;
      refusals++;
      return { condition: "amqp:unauthorized-access", description: "no dynamic sources for you" };
    };
    const service = pongService(client, "svc/refused");
    await service.ready();
    const error = await client
      .request("svc/refused", { body: 1 }, { timeoutMs: 5_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LinkRefusedError);
    expect(error).toMatchObject({ condition: "amqp:unauthorized-access", transient: false });
    const reply = await client.request("svc/refused", { body: 2 }, { timeoutMs: 5_000 });
    expect(reply.body).toBe("pong");
    expect(refusals).toBe(1);
  });

  it("a reply receiver detached while a request waits: LinkRefusedError at once; the next request works", async () => {
    const { peer, client } = await peerAndClient();
    let answer = false;
    const service = pongService(client, "svc/detach", () => answer);
    await service.ready();
    const pending = client
      .request("svc/detach", { body: 1, messageId: "req-detach" }, { timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    await waitFor(() => peer.dispositions.some((d) => d.messageId === "req-detach"), {
      what: "the service to take the request",
    });
    const detached = peer.detachReceivers((address) => address.startsWith("dynamic/"), {
      condition: "amqp:link:detach-forced",
      description: "reply address withdrawn",
    });
    expect(detached).toBe(1);
    const error = await withTimeout(pending, 5_000, "the waiting request to fail");
    expect(error).toBeInstanceOf(LinkRefusedError);
    expect(error).toMatchObject({ condition: "amqp:link:detach-forced" });
    answer = true;
    const reply = await client.request("svc/detach", { body: 2 }, { timeoutMs: 5_000 });
    expect(reply.body).toBe("pong");
  });

  it("a reply address that never comes (the router went silent): RequestTimeoutError within the timeout", async () => {
    const { peer, client } = await peerAndClient();
    await client.connect();
    peer.freeze();
    const started = Date.now();
    const error = await withTimeout(
      client.request("svc/silent", { body: 1 }, { timeoutMs: 300 }).catch((e: unknown) => e),
      5_000,
      "the request to settle",
    );
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("no router reachable within the reconnect budget: ConnectionFailedError before the timeout", async () => {
    const client = track(
      new MeshClient({ urls: [await deadUrl()], reconnect: { ...fast, maxAttempts: 2 } }),
    );
    const error = await withTimeout(
      client.request("svc/down", { body: 1 }, { timeoutMs: 30_000 }).catch((e: unknown) => e),
      10_000,
      "the request to settle",
    );
    expect(error).toBeInstanceOf(ConnectionFailedError);
  });

  it("close() while a request waits: ClientClosedError", async () => {
    const { peer, client } = await peerAndClient();
    peer.outcome = () => "hold";
    const pending = client
      .request("svc/closing", { body: 1 }, { timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    await waitFor(() => peer.received.length === 1, { what: "the request at the peer" });
    await client.close(50);
    expect(await pending).toBeInstanceOf(ClientClosedError);
    await expect(client.request("svc/closing", { body: 2 })).rejects.toBeInstanceOf(
      ClientClosedError,
    );
  });
});

describe("publish() under faults", () => {
  it("the connection lost with publishes queued and in flight: each resolves, the unsettled ones resent", async () => {
    const { peer, client } = await peerAndClient({ credit: 5 });
    let cut = false;
    peer.outcome = (_a, _id, attempt) => (attempt === 1 && !cut ? "hold" : "accept");
    peer.onTransfer = () => {
      if (!cut && peer.received.length === 5) {
        cut = true;
        setImmediate(() => peer.dropConnections("destroy"));
      }
    };
    const ids = Array.from({ length: 20 }, (_, i) => `loss-${i}`);
    const results = await withTimeout(
      Promise.allSettled(
        ids.map((id) => client.publish("loss", { body: id, messageId: id }, { deadline: 10_000 })),
      ),
      15_000,
      "every publish to settle",
    );
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    for (const id of ids.slice(0, 5)) expect(transfersOf(peer, id)).toBe(2);
    expect(client.status.connections).toBe(2);
  });

  it("the router gone for good: every pending publish fails with ConnectionFailedError", async () => {
    const peer = track(await TestPeer.start({ credit: 5 }));
    peer.outcome = () => "hold";
    const client = track(
      new MeshClient({ urls: [peer.url], reconnect: { ...fast, maxAttempts: 2 } }),
    );
    const publishes = Array.from({ length: 20 }, (_, i) =>
      client.publish("gone", { body: i }, { deadline: 20_000 }),
    );
    // Handled now, should the test fail before allSettled below.
    for (const publish of publishes) publish.catch(() => {});
    await waitFor(() => peer.received.length >= 5, { what: "publishes in flight" });
    await peer.stop();
    const results = await withTimeout(Promise.allSettled(publishes), 10_000, "the publishes");
    for (const result of results) {
      expect(result.status).toBe("rejected");
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionFailedError);
    }
  });
});

describe("consume() under faults", () => {
  it("the connection lost while a handler runs (emulator): the delivery comes back, is redelivered after the reconnect, and the publish resolves", async () => {
    const mesh = await startTestMesh({ routers: [{ id: "x" }] });
    const url = mesh.router("x").url;
    const producer = track(new MeshClient({ urls: [url], reconnect: fast }));
    const consumerClient = track(
      new MeshClient({ urls: [url], reconnect: fast, containerId: "faults-consumer" }),
    );
    const seen: string[] = [];
    let release: () => void = () => {};
    const consumer = consumerClient.consume("work/cut", async (m) => {
      seen.push(String(m.messageId));
      // The first delivery hangs until after the connection is gone.
      if (seen.length === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    await consumer.ready();
    await mesh.waitForAddress("work/cut");
    const published = producer.publish(
      "work/cut",
      { body: 1, messageId: "cut-1" },
      { deadline: 10_000 },
    );
    await waitFor(() => seen.length === 1, { what: "the handler to start" });
    const router = mesh.router("x").router;
    const connection = router.connections.find((c) => c.remoteContainer === "faults-consumer");
    expect(connection).toBeDefined();
    router.closeConnection(connection?.identity ?? "");
    await waitFor(() => consumerClient.status.connections === 2, {
      what: "the consumer's client to reconnect",
    });
    // The handler of the lost delivery still holds the one slot (concurrency 1); once it
    // ends (its settlement has no link to go to), the redelivery is handled.
    release();
    await withTimeout(published, 10_000, "the publish to be accepted after the redelivery");
    expect(seen).toEqual(["cut-1", "cut-1"]);
    await waitFor(() => consumer.stats.accepted === 1, { what: "the redelivery accepted" });
  });

  it("the router gone for good: onError hears ConnectionFailedError and ready() rejects with it", async () => {
    const peer = track(await TestPeer.start());
    const client = track(
      new MeshClient({ urls: [peer.url], reconnect: { ...fast, maxAttempts: 2 } }),
    );
    const errors: Error[] = [];
    const consumer = client.consume("gone/c", () => {}, { onError: (e) => errors.push(e) });
    await consumer.ready();
    await peer.stop();
    await waitFor(() => errors.some((e) => e instanceof ConnectionFailedError), {
      what: "onError to hear the connection failed",
    });
    const error = await withTimeout(
      consumer.ready().catch((e: unknown) => e),
      10_000,
      "ready() to settle",
    );
    expect(error).toBeInstanceOf(ConnectionFailedError);
  });
});

describe("close() with work pending", () => {
  it("settles every pending promise: publish, request, ready() with ClientClosedError; a running handler gets its grace", async () => {
    const { peer, client } = await peerAndClient({ credit: 0 });
    peer.refuseAttach = ({ address }) =>
      address === "never/ready"
        ? { condition: "amqp:not-found", detachAfterMs: 10_000 }
        : undefined;
    const publish = client.publish("no/credit", { body: 1 }, { deadline: 10_000 });
    const request = client.request("no/credit", { body: 2 }, { timeoutMs: 10_000 });
    const notReady = client.consume("never/ready", () => {}, { onError: () => {} }).ready();
    await waitFor(() => client.status.state === "open", { what: "the connection" });
    const closing = client.close(100);
    const results = await withTimeout(
      Promise.allSettled([publish, request, notReady, closing]),
      5_000,
      "everything to settle",
    );
    const reasons = results.map((r) => (r.status === "rejected" ? r.reason : "fulfilled"));
    expect(reasons[0]).toBeInstanceOf(ClientClosedError);
    expect(reasons[1]).toBeInstanceOf(ClientClosedError);
    expect(reasons[2]).toBeInstanceOf(ClientClosedError);
    expect(reasons[3]).toBe("fulfilled");
  });

  it("close() while connect() waits for a router that is down: connect() rejects with ClientClosedError", async () => {
    const client = new MeshClient({ urls: [await deadUrl()], reconnect: fast });
    const connecting = client.connect().catch((e: unknown) => e);
    await client.close(0);
    expect(await withTimeout(connecting, 5_000, "connect() to settle")).toBeInstanceOf(
      ClientClosedError,
    );
  });

  it("a consumer whose handler runs past close()'s grace: close() returns, the handler's end is harmless", async () => {
    const { client } = await peerAndClient();
    let finish: () => void = () => {};
    let started = false;
    const consumer = client.consume("slow/handler", async () => {
      started = true;
      await new Promise<void>((resolve) => (finish = resolve));
    });
    await consumer.ready();
    await client.publish("slow/handler", { body: 1 });
    await waitFor(() => started, { what: "the handler to start" });
    await withTimeout(client.close(50), 5_000, "close() past the handler's grace");
    expect(consumer.isStopped).toBe(true);
    // Its delivery cannot be settled on the gone link: nothing throws, nothing is unhandled
    // (checked after each test).
    finish();
  });
});
