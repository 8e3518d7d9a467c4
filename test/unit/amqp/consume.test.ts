/**
 * A consumer's link lifecycle (shared/amqp/consume.ts on link-lifecycle.ts) against the
 * in-process peer (test/integration/amqp/peer.ts) over TCP: attaches refused by the peer,
 * a live link detached by it, the connection cut while a handler runs, stop() while the
 * attach is unanswered. Every promise must settle.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ClientClosedError, LinkRefusedError } from "../../../shared/amqp/index.ts";
import { closeTracked, peerAndClient } from "../../integration/amqp/helpers.ts";
import { waitFor, withTimeout } from "../../support/wait.ts";

afterEach(closeTracked);

describe("consume: attach refused by the peer", () => {
  it("each refusal reaches onError with its condition; attached again with backoff; ready once the peer accepts", async () => {
    const { peer, client } = await peerAndClient();
    const attachedAt: number[] = [];
    peer.refuseAttach = ({ role }) => {
      if (role !== "receiver") return undefined;
      attachedAt.push(Date.now());
      return attachedAt.length <= 2
        ? { condition: "amqp:unauthorized-access", description: "not yet" }
        : undefined;
    };
    const errors: Error[] = [];
    const got: string[] = [];
    const consumer = client.consume("orders", (m) => void got.push(String(m.messageId)), {
      onError: (e) => errors.push(e),
    });
    const first = await consumer.ready().catch((e: unknown) => e);
    expect(first).toBeInstanceOf(LinkRefusedError);
    expect(first).toMatchObject({ condition: "amqp:unauthorized-access", description: "not yet" });
    await waitFor(() => attachedAt.length === 3, { timeout: 5_000, what: "the third attach" });
    await withTimeout(consumer.ready(), 5_000, "ready() after the peer accepts");
    expect(errors.map((e) => (e as LinkRefusedError).condition)).toEqual([
      "amqp:unauthorized-access",
      "amqp:unauthorized-access",
    ]);
    // Backoff from 500 ms (half of it jittered), doubling: ≥ 250 ms, then ≥ 500 ms.
    expect(attachedAt[1]! - attachedAt[0]!).toBeGreaterThanOrEqual(240);
    expect(attachedAt[2]! - attachedAt[1]!).toBeGreaterThanOrEqual(490);
    await client.publish("orders", { body: 1, messageId: "m-1" });
    await waitFor(() => got.length === 1, { what: "the message" });
    expect(client.status.connections).toBe(1);
  });
});

describe("consume: the peer detaches a live link", () => {
  it("attached again; what was published before and after is handled and accepted", async () => {
    const { peer, client } = await peerAndClient();
    const errors: Error[] = [];
    const got: string[] = [];
    const consumer = client.consume("orders", (m) => void got.push(String(m.messageId)), {
      onError: (e) => errors.push(e),
    });
    await consumer.ready();
    await client.publish("orders", { body: 1, messageId: "before" });
    await waitFor(() => consumer.stats.accepted === 1, { what: "the first accept" });
    expect(
      peer.detachReceivers((a) => a === "orders", { condition: "amqp:link:detach-forced" }),
    ).toBe(1);
    await waitFor(() => errors.length === 1, { what: "the detach reported" });
    expect(errors[0]).toMatchObject({ condition: "amqp:link:detach-forced", transient: true });
    await withTimeout(consumer.ready(), 5_000, "ready() on the new link");
    await client.publish("orders", { body: 2, messageId: "after" });
    await waitFor(() => consumer.stats.accepted === 2, { what: "the second accept" });
    expect(got).toEqual(["before", "after"]);
    await waitFor(() => peer.dispositions.length === 2, { what: "the peer to see both" });
    expect(peer.dispositions.map((d) => [d.messageId, d.outcome])).toEqual([
      ["before", "accepted"],
      ["after", "accepted"],
    ]);
    await withTimeout(consumer.stop(), 5_000, "stop()");
  });
});

describe("consume: the connection drops mid-flight", () => {
  it("a handler running at the cut finishes harmlessly; the consumer re-attaches on the new connection and goes on", async () => {
    const { peer, client } = await peerAndClient();
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const got: string[] = [];
    const consumer = client.consume("orders", async (m) => {
      got.push(String(m.messageId));
      if (m.messageId === "held") await gate;
    });
    await consumer.ready();
    await client.publish("orders", { body: 1, messageId: "held" });
    await waitFor(() => got.length === 1, { what: "the handler to start" });
    peer.dropConnections("destroy");
    await waitFor(() => client.status.connections === 2, { what: "the reconnect" });
    await withTimeout(consumer.ready(), 5_000, "ready() after the reconnect");
    // The delivery belonged to the dead link: its settlement is dropped, not counted.
    release();
    await client.publish("orders", { body: 2, messageId: "next" });
    await waitFor(() => consumer.stats.accepted === 1, { what: "the next message accepted" });
    expect(got).toEqual(["held", "next"]);
    await waitFor(() => peer.dispositions.length === 1, { what: "the peer to see it" });
    expect(peer.dispositions.map((d) => d.messageId)).toEqual(["next"]);
    await withTimeout(consumer.stop(), 5_000, "stop()");
  });
});

describe("consume: stop while attaching", () => {
  it("stop() with the attach unanswered settles within its bound; ready() rejects with ClientClosedError", async () => {
    const { peer, client } = await peerAndClient();
    await client.publish("warm", { body: 0 });
    // The router goes silent: the consumer's attach is never answered.
    peer.freeze();
    const consumer = client.consume("orders", () => {}, { stopTimeoutMs: 200 });
    const ready = consumer.ready().catch((e: unknown) => e);
    const started = Date.now();
    await withTimeout(consumer.stop(), 5_000, "stop()");
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await ready).toBeInstanceOf(ClientClosedError);
    await expect(consumer.ready()).rejects.toBeInstanceOf(ClientClosedError);
    expect(consumer.isStopped).toBe(true);
    expect(client.status.consumers).toBe(0);
  });
});
