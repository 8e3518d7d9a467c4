import { afterEach, describe, expect, it } from "vitest";
import {
  BackPressureError,
  NoConsumerError,
  PublishRejectedError,
  PublishTimeoutError,
} from "../../../shared/amqp/index.ts";
import { waitFor } from "../../support/wait.ts";
import { closeTracked, peerAndClient } from "./helpers.ts";

afterEach(closeTracked);

describe("publish outcomes, asserted from both ends", () => {
  it("resolves on accepted; the peer stored the message with its id and JSON body", async () => {
    const { peer, client } = await peerAndClient();
    const result = await client.publish("orders", {
      body: { n: 1 },
      messageId: "m-1",
      subject: "created",
      applicationProperties: { tenant: "t1", count: 3 },
    });
    expect(result.messageId).toBe("m-1");
    expect(peer.received).toHaveLength(1);
    const got = peer.received[0];
    expect(got?.address).toBe("orders");
    expect(got?.messageId).toBe("m-1");
    expect(got?.message.content_type).toBe("application/json");
    expect(got?.message.subject).toBe("created");
    expect(got?.message.application_properties).toMatchObject({ tenant: "t1", count: 3 });
    expect(peer.store.depth("orders")).toBe(1);
  });

  it("generates a UUID message id when none is given", async () => {
    const { peer, client } = await peerAndClient();
    const { messageId } = await client.publish("orders", { body: "x" });
    expect(messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(peer.received[0]?.messageId).toBe(messageId);
  });

  it("retries released with the same message id until accepted", async () => {
    const { peer, client } = await peerAndClient();
    peer.outcome = (_a, _id, attempt) => (attempt < 3 ? "release" : "accept");
    await client.publish("orders", { body: 1, messageId: "rel-1" });
    expect(peer.received.map((r) => [r.messageId, r.outcome])).toEqual([
      ["rel-1", "release"],
      ["rel-1", "release"],
      ["rel-1", "accept"],
    ]);
  });

  it("retries modified with the same message id until accepted", async () => {
    const { peer, client } = await peerAndClient();
    peer.outcome = (_a, _id, attempt) => (attempt < 2 ? "modify" : "accept");
    await client.publish("orders", { body: 1, messageId: "mod-1" });
    expect(peer.received.map((r) => [r.messageId, r.outcome])).toEqual([
      ["mod-1", "modify"],
      ["mod-1", "accept"],
    ]);
  });

  it("fails with PublishTimeoutError when released until the deadline", async () => {
    const { peer, client } = await peerAndClient();
    peer.outcome = () => "release";
    const error = await client
      .publish("orders", { body: 1, messageId: "rel-2" }, { deadline: 300 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PublishTimeoutError);
    expect(error.lastOutcome).toBe("released");
    expect(error.message).toContain('"orders"');
    expect(peer.received.length).toBeGreaterThan(1);
    expect(new Set(peer.received.map((r) => r.messageId))).toEqual(new Set(["rel-2"]));
  });

  it("a settlement without an outcome is not an acceptance: resent with the same id until accepted", async () => {
    const { peer, client } = await peerAndClient();
    peer.outcome = (_a, _id, attempt) => (attempt < 3 ? "settle" : "accept");
    await client.publish("orders", { body: 1, messageId: "bare-1" });
    expect(peer.received.map((r) => [r.messageId, r.outcome])).toEqual([
      ["bare-1", "settle"],
      ["bare-1", "settle"],
      ["bare-1", "accept"],
    ]);
    expect(peer.store.depth("orders")).toBe(1);
  });

  it("settled without an outcome until the deadline → PublishTimeoutError (settled-without-outcome)", async () => {
    const { peer, client } = await peerAndClient();
    peer.outcome = () => "settle";
    const error = await client
      .publish("orders", { body: 1, messageId: "bare-2" }, { deadline: 300 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PublishTimeoutError);
    expect(error.lastOutcome).toBe("settled-without-outcome");
    expect(error.message).toContain("last outcome: settled-without-outcome");
    expect(peer.received.length).toBeGreaterThan(1);
    expect(peer.store.depth("orders")).toBe(0);
  });

  it("rejected → PublishRejectedError with the router's condition and description", async () => {
    const { peer, client } = await peerAndClient();
    peer.outcome = () => "reject";
    const error = await client.publish("orders", { body: 1, messageId: "rej-1" }).catch((e) => e);
    expect(error).toBeInstanceOf(PublishRejectedError);
    expect(error.code).toBe("publish-rejected");
    expect(error.condition).toBe("amqp:precondition-failed");
    expect(error.description).toBe("peer says no");
    expect(error.message).toContain(peer.url);
    expect(peer.received).toHaveLength(1);
  });

  it("no credit ever since the attach → NoConsumerError (a router credits only while a consumer is reachable) with a retry hint; sends once credit comes", async () => {
    const { peer, client } = await peerAndClient({ credit: 0 });
    const started = Date.now();
    const error = await client.publish("orders", { body: 1 }, { deadline: 250 }).catch((e) => e);
    expect(error).toBeInstanceOf(NoConsumerError);
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(peer.received).toHaveLength(0);
    const later = client.publish(
      "orders",
      { body: 2, messageId: "after-credit" },
      { deadline: 5_000 },
    );
    await waitFor(() => client.status.state === "open", { what: "connection" });
    peer.grantCredit(1);
    await later;
    expect(peer.received.map((r) => r.messageId)).toEqual(["after-credit"]);
  });

  it("noConsumerWaitMs: credit that comes within the wait sends the publish; a publish on a link still without credit then gives up as NoConsumerError, long before its deadline", async () => {
    const { peer, client } = await peerAndClient({ credit: 0 });
    const first = client.publish(
      "orders",
      { body: 1, messageId: "credited-in-time" },
      { deadline: 60_000, noConsumerWaitMs: 20_000 },
    );
    await waitFor(() => client.status.state === "open", { what: "connection" });
    peer.grantCredit(1);
    await first;
    // The one credit is used: the link is out of credit, which is not "no consumer".
    const second = client
      .publish("orders", { body: 2 }, { deadline: 500, noConsumerWaitMs: 100 })
      .catch((e) => e);
    expect(await second).toBeInstanceOf(BackPressureError);
    // A fresh link the peer never credits: NoConsumerError, with the test far from 60 s.
    const other = await client
      .publish("invoices", { body: 3 }, { deadline: 60_000, noConsumerWaitMs: 200 })
      .catch((e) => e);
    expect(other).toBeInstanceOf(NoConsumerError);
    expect(other.message).toContain('no consumer of "invoices"');
    expect(peer.received.map((r) => r.messageId)).toEqual(["credited-in-time"]);
  });

  it("pipelines many deliveries per link, bounded by credit", async () => {
    const { peer, client } = await peerAndClient({ credit: 20 });
    await Promise.all(Array.from({ length: 500 }, (_, i) => client.publish("bulk", { body: i })));
    expect(peer.received).toHaveLength(500);
    expect(peer.store.depth("bulk")).toBe(500);
  });

  it("a delivery the router never settles does not stall the link once its publish gave up", async () => {
    const { peer, client } = await peerAndClient({ credit: 3_000 });
    peer.outcome = (_a, id) => (id === "never-settled" ? "hold" : "accept");
    // Attached with credit first, so the stuck one is sent at once even on a busy machine
    // (otherwise it may give up unsent, as back-pressure, while 2,200 publishes encode).
    await client.publish("orders", { body: "warm-up", messageId: "warm-up" });
    const stuck = client.publish(
      "orders",
      { body: 0, messageId: "never-settled" },
      { deadline: 300 },
    );
    const others = Array.from({ length: 2_200 }, (_, i) =>
      client.publish("orders", { body: i, messageId: `n-${i}` }, { deadline: 10_000 }),
    );
    // Should the test fail early, close() rejects these: no flood of unhandled rejections.
    for (const other of others) other.catch(() => {});
    await expect(stuck).rejects.toMatchObject({
      code: "publish-timeout",
      lastOutcome: "unsettled",
    });
    await Promise.all(others);
    const accepted = new Set(
      peer.received
        .filter((r) => r.outcome === "accept" && r.messageId?.startsWith("n-"))
        .map((r) => r.messageId),
    );
    expect(accepted.size).toBe(2_200);
    expect(client.status.connections).toBe(1);
  });

  it("at-most-once sends presettled and resolves when written", async () => {
    const { peer, client } = await peerAndClient();
    await client.publish(
      "telemetry",
      { body: 1, messageId: "amo-1" },
      { delivery: "at-most-once" },
    );
    await waitFor(() => peer.received.length === 1, { what: "the presettled transfer" });
    expect(peer.received[0]?.settled).toBe(true);
  });

  it("resends deliveries unsettled at disconnect, after reconnect, with the same message id", async () => {
    const { peer, client } = await peerAndClient();
    let cut = false;
    peer.outcome = (_a, id) => (id === "held" && !cut ? "hold" : "accept");
    peer.onTransfer = (t) => {
      if (t.messageId === "held" && !cut) {
        cut = true;
        setImmediate(() => peer.dropConnections("destroy"));
      }
    };
    await client.publish("orders", { body: 1, messageId: "held" });
    expect(peer.received.map((r) => [r.messageId, r.outcome])).toEqual([
      ["held", "hold"],
      ["held", "accept"],
    ]);
    expect(client.status.connections).toBe(2);
  });
});
