/**
 * What a long-lived client holds stays bounded: idle senders (one session and link each)
 * are closed after `senders.idleTimeoutMs`, at most `senders.max` are kept (least recently
 * used idle ones go first, busy ones never), and stopped consumers leave the client.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MeshClient } from "../../../shared/amqp/index.ts";
import { waitFor } from "../../support/wait.ts";
import { closeTracked, track } from "./helpers.ts";
import { TestPeer } from "./peer.ts";

afterEach(closeTracked);

async function peerAndBoundedClient(senders: { idleTimeoutMs?: number; max?: number }) {
  const peer = track(await TestPeer.start());
  const client = track(
    new MeshClient({
      urls: [peer.url],
      reconnect: { initialDelayMs: 10, maxDelayMs: 100 },
      senders: { idleTimeoutMs: senders.idleTimeoutMs ?? 300_000, max: senders.max ?? 64 },
    }),
  );
  return { peer, client };
}

describe("bounded senders and consumers", () => {
  it("an idle sender is closed after senders.idleTimeoutMs; the next publish attaches afresh", async () => {
    const { peer, client } = await peerAndBoundedClient({ idleTimeoutMs: 100 });
    await client.publish("idle/a", { body: 1 });
    expect(peer.openSenderLinks).toEqual(["idle/a"]);
    await waitFor(() => peer.openSenderLinks.length === 0, {
      what: "the idle sender's link to be detached",
    });
    expect(client.status.senders).toBe(0);
    await client.publish("idle/a", { body: 2, messageId: "again" });
    expect(peer.received.map((r) => r.messageId)).toContain("again");
    expect(client.status).toMatchObject({ senders: 1, connections: 1 });
  });

  it("a sender in use is not closed for idleness while publishes keep coming", async () => {
    const { peer, client } = await peerAndBoundedClient({ idleTimeoutMs: 150 });
    const started = Date.now();
    // Publishing for three idle periods in a row: never idle that long, never closed.
    while (Date.now() - started < 450) await client.publish("busy/a", { body: 1 });
    expect(peer.openSenderLinks).toEqual(["busy/a"]);
    expect(peer.senderLinksAttached).toBe(1);
    expect(peer.connectionsOpened).toBe(1);
  });

  it("beyond senders.max the least recently used idle sender is closed first", async () => {
    const { peer, client } = await peerAndBoundedClient({ max: 2 });
    await client.publish("lru/a", { body: 1 });
    await client.publish("lru/b", { body: 1 });
    await client.publish("lru/a", { body: 2 }); // a is now the most recently used
    await client.publish("lru/c", { body: 1 });
    await waitFor(() => peer.openSenderLinks.length === 2, { what: "one sender link closed" });
    expect(peer.openSenderLinks).toEqual(["lru/a", "lru/c"]);
    expect(client.status.senders).toBe(2);
  });

  it("a busy sender is never evicted; the pool shrinks back once it is idle", async () => {
    const { peer, client } = await peerAndBoundedClient({ max: 1 });
    peer.outcome = (address, _id, attempt) =>
      address === "busy/held" && attempt === 1 ? "hold" : "accept";
    const held = client.publish("busy/held", { body: 1, messageId: "held" }, { deadline: 10_000 });
    await waitFor(() => peer.received.some((r) => r.messageId === "held"), {
      what: "the held delivery at the peer",
    });
    await client.publish("busy/other", { body: 1 });
    // Both are kept: the one with a publish in flight cannot be closed.
    expect(client.status.senders).toBe(2);
    // The held delivery is resent on the next connection, and accepted there.
    peer.dropConnections("destroy");
    await held;
    await waitFor(() => client.status.senders === 1, { what: "the pool back within max" });
  });

  it("publishing to many addresses keeps at most senders.max links", async () => {
    const { peer, client } = await peerAndBoundedClient({ max: 8 });
    for (let i = 0; i < 100; i++) await client.publish(`many/${i}`, { body: i });
    expect(client.status.senders).toBeLessThanOrEqual(8);
    await waitFor(() => peer.openSenderLinks.length <= 8, { what: "at most 8 links at the peer" });
    expect(peer.received).toHaveLength(100);
  });

  it("stopped consumers leave the client", async () => {
    const { client } = await peerAndBoundedClient({});
    const consumers = ["c/1", "c/2", "c/3"].map((a) => client.consume(a, () => {}));
    await Promise.all(consumers.map((c) => c.ready()));
    expect(client.status.consumers).toBe(3);
    await consumers[0]?.stop();
    await consumers[1]?.stop();
    expect(client.status.consumers).toBe(1);
    for (let i = 0; i < 20; i++) await client.consume(`churn/${i}`, () => {}).stop();
    expect(client.status.consumers).toBe(1);
  });
});
