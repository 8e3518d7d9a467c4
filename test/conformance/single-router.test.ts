/**
 * One router, as a client sees it: addresses and distributions, credit, settlement and
 * outcomes, multicast, dynamic reply addresses, maxMessageSize.
 * Runs on the first router of the target.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { typePrefix } from "../../shared/router-config/index.ts";
import { closeAllClients, connectClient, type TestClient } from "../support/amqp-client.ts";
import { waitFor } from "../support/wait.ts";
import {
  closeTarget,
  NEEDS_OWN_ROUTERS,
  openTarget,
  routerUrl,
  startOwnRouters,
  startsRouters,
  type Target,
  uniqueAddress,
  waitForConsumers,
} from "./target.ts";

let target: Target;
let client: TestClient;

beforeAll(async () => {
  target = await openTarget();
});
afterAll(closeTarget);

async function fresh(): Promise<TestClient> {
  return connectClient(routerUrl(target));
}

afterEach(closeAllClients);

describe("anycast delivery and credit", () => {
  it("delivers to a consumer of an unconfigured address (balanced) and returns accepted", async () => {
    client = await fresh();
    const address = uniqueAddress("plain", "anycast");
    const receiver = await client.receiver(address);
    const sender = await client.sender(address);
    await sender.waitForCredit();
    expect(await sender.sendAndWait({ body: "hello" })).toEqual({ outcome: "accepted" });
    expect((await receiver.next()).message.body).toBe("hello");
  });

  it("gives a producer no credit while no consumer is reachable, and credit once one is", async () => {
    client = await fresh();
    const address = uniqueAddress("plain", "credit");
    const sender = await client.sender(address);
    // An anycast address without destinations issues no credit (seen on both real routers);
    // the barrier lets any credit the router would have sent arrive first.
    await client.barrier(typePrefix(target.flavour));
    expect(sender.credit).toBe(0);
    const consumerClient = await fresh();
    const receiver = await consumerClient.receiver(address);
    await sender.waitForCredit();
    // Default linkCapacity is 250: never more credit than that.
    expect(sender.credit).toBeGreaterThan(0);
    expect(sender.credit).toBeLessThanOrEqual(250);
    await receiver.close();
    const late = await client.sender(address);
    await client.barrier(typePrefix(target.flavour));
    expect(late.credit).toBe(0);
  });

  it("releases a targeted producer's deliveries while its address has no consumer, drains its credit, and gives credit back with a consumer", async () => {
    // qdrouterd 1.19 src/router_core/transfer.c, qdr_link_forward_CT: a delivery on a
    // targeted link to an address with no outbound path is released and the link's credit
    // drained. Seen on a real qdrouterd 1.19.0: ['released', 'released'].
    client = await fresh();
    const address = uniqueAddress("plain", "no-path");
    const first = await fresh();
    const gone = await first.receiver(address);
    const sender = await client.sender(address);
    await sender.waitForCredit();
    await gone.close();
    await waitForConsumers(target, target.routers[0]!.id, address, 0);
    const unrouted = [sender.send({ body: "h1" }), sender.send({ body: "h2" })];
    expect((await Promise.all(unrouted)).map((r) => r.outcome)).toEqual(["released", "released"]);
    await waitFor(() => sender.credit === 0, { what: "the producer's credit to be drained" });
    const second = await fresh();
    const receiver = await second.receiver(address);
    await sender.waitForCredit();
    expect((await sender.sendAndWait({ body: "h3" })).outcome).toBe("accepted");
    expect((await receiver.next()).message.body).toBe("h3");
  });

  it("never holds more than the link capacity: credit runs out while the consumer takes nothing", async () => {
    client = await fresh();
    const address = uniqueAddress("plain", "capacity");
    const receiver = await client.receiver(address, { credit: 0 });
    const sender = await client.sender(address);
    await sender.waitForCredit();
    const initial = sender.credit;
    const results = Array.from({ length: initial + 10 }, (_, i) => sender.send({ body: i }));
    await waitFor(() => sender.credit === 0, { what: "the producer's credit to run out" });
    expect(receiver.messages).toHaveLength(0);
    receiver.addCredit(initial + 10);
    const outcomes = await Promise.all(results);
    expect(outcomes.every((o) => o.outcome === "accepted")).toBe(true);
    await waitFor(() => receiver.messages.length === initial + 10);
    expect(receiver.bodies).toEqual(Array.from({ length: initial + 10 }, (_, i) => i));
  });

  it("completes a consumer's drain: what waits is delivered, the rest of the credit is used up", async () => {
    client = await fresh();
    const address = uniqueAddress("plain", "drain");
    const receiver = await client.receiver(address, { credit: 0 });
    receiver.addCredit(5);
    await receiver.drain();
    expect(receiver.credit).toBe(0);
    expect(receiver.messages).toHaveLength(0);

    const sender = await client.sender(address);
    await sender.waitForCredit();
    const sent = [sender.send({ body: 1 }), sender.send({ body: 2 })];
    receiver.addCredit(5);
    await Promise.all(sent);
    await receiver.drain();
    expect(receiver.bodies).toEqual([1, 2]);
    expect(receiver.credit).toBe(0);
  });

  it("routes an anonymous sender's messages by their 'to' and releases what has no route", async () => {
    client = await fresh();
    const address = uniqueAddress("plain", "anonymous");
    const receiver = await client.receiver(address);
    const sender = await client.sender(null);
    await sender.waitForCredit();
    expect((await sender.sendAndWait({ to: address, body: 1 })).outcome).toBe("accepted");
    expect((await receiver.next()).message.body).toBe(1);
    const nowhere = uniqueAddress("plain", "nowhere");
    expect((await sender.sendAndWait({ to: nowhere, body: 2 })).outcome).toBe("released");
    // No 'to' at all: src/router_node.c rejects "Routing failure: no address present".
    expect(await sender.sendAndWait({ body: 3 })).toMatchObject({
      outcome: "rejected",
      error: { condition: "amqp:precondition-failed" },
    });
  });
});

describe("settlement", () => {
  it("forwards unsettled deliveries unsettled and returns the consumer's outcome", async () => {
    client = await fresh();
    const address = uniqueAddress("plain", "outcomes");
    const receiver = await client.receiver(address, { autoaccept: false });
    const sender = await client.sender(address);
    await sender.waitForCredit();

    const accepted = sender.send({ body: "a" });
    const first = await receiver.next();
    expect(first.delivery.remote_settled).toBe(false);
    first.accept();
    expect(await accepted).toEqual({ outcome: "accepted" });

    const rejected = sender.send({ body: "r" });
    (await receiver.next()).reject({ condition: "app:bad-order", description: "no such SKU" });
    expect(await rejected).toEqual({
      outcome: "rejected",
      error: { condition: "app:bad-order", description: "no such SKU" },
    });

    const released = sender.send({ body: "l" });
    (await receiver.next()).release();
    expect((await released).outcome).toBe("released");

    const modified = sender.send({ body: "m" });
    (await receiver.next()).modify({ deliveryFailed: true, undeliverableHere: true });
    expect(await modified).toMatchObject({
      outcome: "modified",
      deliveryFailed: true,
      undeliverableHere: true,
    });
  });

  it("keeps different outcomes apart when a consumer settles several deliveries at once", async () => {
    client = await fresh();
    const address = uniqueAddress("plain", "mixed-outcomes");
    const receiver = await client.receiver(address, { autoaccept: false });
    const producer = await fresh();
    const sender = await producer.sender(address);
    await sender.waitForCredit();
    const results = [1, 2, 3, 4].map((body) => sender.send({ body }));
    await waitFor(() => receiver.messages.length === 4);
    const [m1, m2, m3, m4] = receiver.messages;
    // All in one tick: a router that batches dispositions must not merge these ranges.
    m1!.accept();
    m2!.reject({ condition: "app:second" });
    m3!.accept();
    m4!.release();
    expect((await Promise.all(results)).map((r) => r.outcome)).toEqual([
      "accepted",
      "rejected",
      "accepted",
      "released",
    ]);
  });

  it("answers released/modified — never silence — when a consumer leaves with deliveries in flight", async () => {
    client = await fresh();
    const address = uniqueAddress("plain", "leaving");
    const consumer = await fresh();
    const receiver = await consumer.receiver(address, { autoaccept: false });
    const sender = await client.sender(address);
    await sender.waitForCredit();
    const pending = [sender.send({ body: 1 }), sender.send({ body: 2 })];
    await waitFor(() => receiver.messages.length === 2);
    await consumer.close();
    const results = await Promise.all(pending);
    for (const r of results) expect(["released", "modified"]).toContain(r.outcome);
  });

  it("answers modified when a consumer detaches its link holding deliveries, its connection open", async () => {
    client = await fresh();
    const address = uniqueAddress("plain", "detaching");
    const consumer = await fresh();
    const receiver = await consumer.receiver(address, { autoaccept: false });
    const sender = await client.sender(address);
    await sender.waitForCredit();
    const pending = sender.send({ body: 1 });
    await waitFor(() => receiver.messages.length === 1);
    await receiver.close();
    // qdrouterd 1.19.0 and skrouterd 3.5.1: modified with delivery-failed, the connection still up.
    expect(await pending).toMatchObject({ outcome: "modified", deliveryFailed: true });
  });

  it("passes on an accept written right behind the consumer's detach, as a graceful stop writes it", async () => {
    client = await fresh();
    const address = uniqueAddress("plain", "accept-after-detach");
    const consumer = await fresh();
    const receiver = await consumer.receiver(address, { autoaccept: false });
    const sender = await client.sender(address);
    await sender.waitForCredit();
    const pending = sender.send({ body: 1 });
    await waitFor(() => receiver.messages.length === 1);
    // In one turn: rhea writes the detach and then the disposition (the shared client's
    // consumer does this when a stop lets its last handler finish).
    receiver.link.close();
    receiver.messages[0]!.delivery.accept();
    expect((await pending).outcome).toBe("accepted");
  });

  it("keeps presettled (at-most-once) deliveries presettled", async () => {
    client = await fresh();
    const address = uniqueAddress("plain", "presettled");
    const receiver = await client.receiver(address);
    const sender = await client.sender(address);
    await sender.waitForCredit();
    await sender.send({ body: "fire-and-forget" }, { presettled: true });
    const received = await receiver.next();
    expect(received.message.body).toBe("fire-and-forget");
    expect(received.delivery.remote_settled).toBe(true);
  });
});

describe("distributions on one router", () => {
  it("multicast: every consumer gets a copy; accepted when all accept", async () => {
    client = await fresh();
    const address = uniqueAddress(target.prefixes.multicast, "copies");
    const r1 = await client.receiver(address);
    const r2 = await client.receiver(address);
    const sender = await client.sender(address);
    await sender.waitForCredit();
    expect((await sender.sendAndWait({ body: "to-all" })).outcome).toBe("accepted");
    expect((await r1.next()).message.body).toBe("to-all");
    expect((await r2.next()).message.body).toBe("to-all");
  });

  it("multicast: a copy rejected by one consumer makes the producer's delivery rejected", async () => {
    client = await fresh();
    const address = uniqueAddress(target.prefixes.multicast, "reject");
    const r1 = await client.receiver(address, { autoaccept: false });
    const r2 = await client.receiver(address, { autoaccept: false });
    const sender = await client.sender(address);
    await sender.waitForCredit();
    const result = sender.send({ body: "x" });
    (await r1.next()).accept();
    (await r2.next()).reject({ condition: "app:nope" });
    expect((await result).outcome).toBe("rejected");
  });

  it("multicast presettled: copies to every consumer, nothing comes back", async () => {
    client = await fresh();
    const address = uniqueAddress(target.prefixes.multicast, "presettled");
    const r1 = await client.receiver(address);
    const r2 = await client.receiver(address);
    const sender = await client.sender(address);
    await sender.waitForCredit();
    await sender.send({ body: "p" }, { presettled: true });
    expect((await r1.next()).delivery.remote_settled).toBe(true);
    expect((await r2.next()).delivery.remote_settled).toBe(true);
  });

  it("balanced and closest: messages spread over the local consumers", async () => {
    for (const prefix of [target.prefixes.balanced, target.prefixes.closest]) {
      const c = await fresh();
      const address = uniqueAddress(prefix, "spread");
      const r1 = await c.receiver(address, { autoaccept: false });
      const r2 = await c.receiver(address, { autoaccept: false });
      const sender = await c.sender(address);
      await sender.waitForCredit();
      for (let i = 0; i < 10; i++) void sender.send({ body: i });
      await waitFor(() => r1.messages.length + r2.messages.length === 10);
      // Unsettled deliveries count as load: both consumers get some.
      expect(r1.messages.length).toBeGreaterThan(0);
      expect(r2.messages.length).toBeGreaterThan(0);
      for (const m of [...r1.messages, ...r2.messages]) m.accept();
    }
  });

  it("applies the longest configured prefix (a closest prefix inside a multicast one)", async () => {
    // The emulator target configures `multicast` only; a longer prefix `multicast.one` as
    // closest is created through management, so this check also needs management.
    client = await fresh();
    const name = `conformance-${Date.now()}`;
    const type = `${target.flavour === "skupper-router" ? "io.skupper.router" : "org.apache.qpid.dispatch"}.router.config.address`;
    const created = await client.management(
      { operation: "CREATE", type, name },
      { prefix: `${target.prefixes.multicast}.longest-${name}`, distribution: "closest" },
    );
    expect(created.statusCode).toBe(201);
    try {
      const address = `${target.prefixes.multicast}.longest-${name}.x`;
      const r1 = await client.receiver(address);
      const r2 = await client.receiver(address);
      const sender = await client.sender(address);
      await sender.waitForCredit();
      for (let i = 0; i < 4; i++) await sender.sendAndWait({ body: i });
      await waitFor(() => r1.messages.length + r2.messages.length === 4);
      // Anycast: each message once, not a copy per consumer.
      expect(r1.messages.length + r2.messages.length).toBe(4);
    } finally {
      await client.management({ operation: "DELETE", type, name });
    }
  });
});

describe("dynamic sources and maxMessageSize", () => {
  it("gives a dynamic receiver a generated address that others can send to (reply-to)", async () => {
    client = await fresh();
    const replies = await client.receiver({ dynamic: true });
    const replyTo = replies.remoteAddress;
    expect(replyTo).toBeTruthy();
    const other = await fresh();
    const sender = await other.sender(null);
    await sender.waitForCredit();
    expect((await sender.sendAndWait({ to: replyTo!, body: "reply" })).outcome).toBe("accepted");
    expect((await replies.next()).message.body).toBe("reply");
  });

  it("announces maxMessageSize on attach and rejects an oversize message with message-size-exceeded", async (ctx) => {
    if (!target.maxMessageSize) {
      ctx.skip();
      return;
    }
    const { url, limit } = target.maxMessageSize;
    const limited = await connectClient(url);
    const address = uniqueAddress("plain", "size");
    const receiver = await limited.receiver(address);
    const sender = await limited.sender(address);
    expect(sender.remoteMaxMessageSize).toBe(limit);
    await sender.waitForCredit();
    expect((await sender.sendAndWait({ body: "small" })).outcome).toBe("accepted");
    const big = await sender.sendAndWait({ body: "x".repeat(limit + 100) });
    expect(big.outcome).toBe("rejected");
    expect(big.error?.condition).toBe("amqp:link:message-size-exceeded");
    expect(receiver.bodies).toEqual(["small"]);
    // qdrouterd (src/router_node.c, AMQP_rx_handler) then closes the link and the whole
    // connection with amqp:connection:forced; other connections carry on.
    await limited.disconnected();
    expect(limited.closeError?.condition).toBe("amqp:connection:forced");
    const again = await connectClient(url);
    const sender2 = await again.sender(address);
    const receiver2 = await again.receiver(address);
    await sender2.waitForCredit();
    expect((await sender2.sendAndWait({ body: "after" })).outcome).toBe("accepted");
    expect((await receiver2.next()).message.body).toBe("after");
  });
});

describe.skipIf(!startsRouters)(`listener settings — ${NEEDS_OWN_ROUTERS}`, () => {
  it("grants at most the listener's linkCapacity", async () => {
    const mesh = await startOwnRouters({
      routers: [{ id: "cap" }],
      listener: { linkCapacity: 10 },
    });
    try {
      const c = await connectClient(mesh.router("cap").url);
      const address = uniqueAddress("plain", "linkcapacity");
      const receiver = await c.receiver(address, { credit: 0 });
      const sender = await c.sender(address);
      await sender.waitForCredit();
      expect(sender.credit).toBe(10);
      const sent = Array.from({ length: 12 }, (_, i) => sender.send({ body: i }));
      await waitFor(() => sender.credit === 0);
      receiver.addCredit(12);
      expect((await Promise.all(sent)).every((r) => r.outcome === "accepted")).toBe(true);
    } finally {
      await mesh.stop();
    }
  });
});
