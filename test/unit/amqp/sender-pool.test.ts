/**
 * The sender pool and its senders' link lifecycle (shared/amqp/sender-pool.ts,
 * address-sender.ts) against the in-process peer (test/integration/amqp/peer.ts) over TCP:
 * attaches refused by the peer, a live link detached by it, the connection cut with
 * publishes in flight, close() before the sender attached. Every promise must settle.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  ClientClosedError,
  LinkRefusedError,
  MeshClient,
  NoRouteError,
} from "../../../shared/amqp/index.ts";
import {
  closeTracked,
  logCollector,
  peerAndClient,
  track,
} from "../../integration/amqp/helpers.ts";
import { TestPeer } from "../../integration/amqp/peer.ts";
import { waitFor, withTimeout } from "../../support/wait.ts";

afterEach(closeTracked);

/** Settles every promise and says how each ended (never hangs: bounded). */
function outcomes(promises: Array<Promise<unknown>>): Promise<string[]> {
  return withTimeout(
    Promise.all(
      promises.map((p) =>
        p.then(
          () => "resolved",
          (e: unknown) => (e instanceof Error ? e.name : String(e)),
        ),
      ),
    ),
    10_000,
    "every publish to settle",
  );
}

describe("sender pool: attach refused by the peer", () => {
  it("a final condition reaches the caller as LinkRefusedError at once; the next publish attaches afresh", async () => {
    const { peer, client } = await peerAndClient();
    let refuse = true;
    let attaches = 0;
    peer.refuseAttach = ({ role }) => {
      if (role === "sender") attaches++;
      return role === "sender" && refuse
        ? { condition: "amqp:unauthorized-access", description: "not your address" }
        : undefined;
    };
    const started = Date.now();
    const error = await client
      .publish("orders", { body: 1 }, { deadline: 5_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LinkRefusedError);
    expect(error).toMatchObject({
      condition: "amqp:unauthorized-access",
      description: "not your address",
      transient: false,
    });
    // Not held until the deadline.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(client.status.senders).toBe(0);
    refuse = false;
    await client.publish("orders", { body: 2, messageId: "after" });
    expect(peer.received.map((r) => r.messageId)).toEqual(["after"]);
    expect(attaches).toBe(2);
  });

  it("a transient condition: attached again with backoff while the publish waits, then accepted", async () => {
    const { lines, log } = logCollector();
    const peer = track(await TestPeer.start());
    const client = track(
      new MeshClient({ urls: [peer.url], reconnect: { initialDelayMs: 10 } }, { log }),
    );
    let refused = 0;
    peer.refuseAttach = ({ role }) =>
      role === "sender" && refused++ < 3 ? { condition: "qd:no-route-to-dest" } : undefined;
    const started = Date.now();
    await client.publish("routed", { body: 1, messageId: "r-1" }, { deadline: 10_000 });
    expect(refused).toBe(4);
    expect(peer.received.map((r) => r.messageId)).toEqual(["r-1"]);
    // 3 refusals: backoff from 100 ms doubling, half of each step jittered (≥ 50+100+200).
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    const refusalLines = lines.filter((l) => l.includes("qd:no-route-to-dest"));
    expect(refusalLines).toHaveLength(3);
    expect(refusalLines[2]).toContain("(refusal 3)");
    expect(client.status.connections).toBe(1);
  });

  it("refused for the whole deadline: NoRouteError with the condition and the attaches refused", async () => {
    const { peer, client } = await peerAndClient();
    let attaches = 0;
    peer.refuseAttach = ({ role }) => {
      if (role !== "sender") return undefined;
      attaches++;
      return { condition: "qd:no-route-to-dest", description: "no broker yet" };
    };
    const error = await client
      .publish("routed", { body: 1 }, { deadline: 600 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoRouteError);
    expect(error).toMatchObject({ condition: "qd:no-route-to-dest", description: "no broker yet" });
    expect((error as NoRouteError).attaches).toBeGreaterThanOrEqual(2);
    expect((error as NoRouteError).attaches).toBe(attaches);
  });
});

describe("sender pool: the peer detaches a live link", () => {
  it("publishes in flight are resent on the re-attached link; every one resolves and is stored", async () => {
    const { peer, client } = await peerAndClient();
    await client.publish("orders", { body: 0, messageId: "warm" });
    // Hold the next deliveries unsettled, then detach the link under them.
    let detached = false;
    peer.outcome = (_a, id) => (!detached && id !== "warm" ? "hold" : "accept");
    const ids = ["a", "b", "c", "d"];
    const published = ids.map((id) => client.publish("orders", { body: id, messageId: id }));
    await waitFor(() => peer.received.length === 5, { what: "4 held deliveries" });
    detached = true;
    expect(
      peer.detachSenders((a) => a === "orders", { condition: "amqp:link:detach-forced" }),
    ).toBe(1);
    expect(await outcomes(published)).toEqual(ids.map(() => "resolved"));
    // Nothing accepted lost: every message is in the peer's queue (duplicates allowed).
    const stored = new Set(peer.store.queues.get("orders")?.map((m) => String(m.message_id)));
    expect([...stored].sort()).toEqual(["a", "b", "c", "d", "warm"]);
    expect(peer.senderLinksAttached).toBe(2);
    expect(client.status.connections).toBe(1);
  });

  it("a clean detach of an opened link: attached again and publishing goes on", async () => {
    const { peer, client } = await peerAndClient();
    await client.publish("orders", { body: 1, messageId: "one" });
    peer.detachSenders(() => true);
    await waitFor(() => peer.senderLinksAttached === 2, { what: "the re-attach" });
    await client.publish("orders", { body: 2, messageId: "two" });
    expect(peer.received.map((r) => r.messageId)).toEqual(["one", "two"]);
  });
});

describe("sender pool: the connection drops mid-flight", () => {
  it("queued and unsettled publishes all resolve after the reconnect, with the same message ids", async () => {
    const { peer, client } = await peerAndClient();
    let cut = false;
    peer.outcome = () => (cut ? "accept" : "hold");
    const ids = Array.from({ length: 6 }, (_, i) => `m-${i}`);
    const published = ids.map((id) => client.publish("orders", { body: id, messageId: id }));
    await waitFor(() => peer.received.length === 6, { what: "6 held deliveries" });
    cut = true;
    peer.dropConnections("destroy");
    expect(await outcomes(published)).toEqual(ids.map(() => "resolved"));
    const accepted = peer.received.filter((r) => r.outcome === "accept").map((r) => r.messageId);
    expect(accepted.sort()).toEqual([...ids].sort());
    expect(client.status.connections).toBe(2);
  });
});

describe("sender pool: close while attaching", () => {
  it("close() while the sender's attach is unanswered fails its publishes with ClientClosedError", async () => {
    const { peer, client } = await peerAndClient();
    await client.publish("warm", { body: 0 });
    // The router goes silent: the attach for "orders" is never answered.
    peer.freeze();
    const published = [1, 2, 3].map((n) => client.publish("orders", { body: n }));
    const settled = outcomes(published);
    await client.close(50);
    expect(await settled).toEqual(["ClientClosedError", "ClientClosedError", "ClientClosedError"]);
    await expect(published[0]).rejects.toBeInstanceOf(ClientClosedError);
    expect(peer.received.map((r) => r.address)).toEqual(["warm"]);
  });
});
