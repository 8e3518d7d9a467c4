/**
 * Link-routed addresses whose broker connection is not up yet, on the emulator over TCP.
 * Like qdrouterd, the router answers such an attach with a detach carrying
 * `qd:no-route-to-dest` until its route-container connector reaches the broker. The
 * client treats that as transient: publish re-attaches with backoff until its deadline
 * (then NoRouteError), a consumer keeps re-attaching. The "broker" is a TestPeer that
 * starts listening on the connector's port only once the client has been refused.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  LinkRefusedError,
  MeshClient,
  NoRouteError,
  type ReceivedMessage,
} from "../../../shared/amqp/index.ts";
import type { RouterEntity } from "../../../shared/router-config/index.ts";
import { startTestMesh, stopAllMeshes } from "../../support/local-mesh.ts";
import { waitFor } from "../../support/wait.ts";
import { closeTracked, logCollector, track } from "./helpers.ts";
import { TestPeer } from "./peer.ts";

afterEach(async () => {
  await closeTracked();
  await stopAllMeshes();
});

/** Router entities: a route-container connector to `port` and link routes for `broker/`. */
function brokerRoute(port: number): RouterEntity[] {
  return [
    {
      type: "connector",
      attributes: {
        name: "broker",
        host: "127.0.0.1",
        port: String(port),
        role: "route-container",
      },
    },
    ...(["in", "out"] as const).map(
      (direction): RouterEntity => ({
        type: "linkRoute",
        attributes: { prefix: "broker", direction, connection: "broker" },
      }),
    ),
  ];
}

/**
 * A router whose link route's broker is not listening yet, and the broker (stopped; call
 * `broker.restart()` to bring it up on the same port).
 */
async function routerWithoutBroker() {
  const broker = track(await TestPeer.start());
  await broker.stop();
  const mesh = await startTestMesh({
    routers: [{ id: "x" }],
    entities: { x: brokerRoute(broker.port) },
  });
  const logs = logCollector();
  const client = track(
    new MeshClient(
      { urls: [mesh.router("x").url], reconnect: { initialDelayMs: 20, maxDelayMs: 200 } },
      { log: logs.log },
    ),
    200,
  );
  const refusals = (): number => logs.lines.filter((l) => l.includes("qd:no-route-to-dest")).length;
  return { broker, mesh, client, logs, refusals };
}

describe("link routes without their broker connection (qd:no-route-to-dest)", () => {
  it("publish re-attaches until the route is up, then resolves on the broker's accept", async () => {
    const { broker, mesh, client, refusals } = await routerWithoutBroker();
    const started = Date.now();
    const published = client.publish(
      "broker/orders",
      { body: { n: 1 }, messageId: "routed-1" },
      { deadline: 20_000 },
    );
    // The router refused the attach, and the client tried again (no broker anywhere yet).
    await waitFor(() => refusals() >= 2, { timeout: 10_000, what: "two refused attaches" });
    expect(broker.received).toHaveLength(0);
    await broker.restart();
    await mesh.waitForConnector("x", "broker", { timeout: 10_000 });
    await expect(published).resolves.toEqual({ messageId: "routed-1" });
    expect(broker.received.map((r) => [r.address, r.messageId, r.outcome])).toEqual([
      ["broker/orders", "routed-1", "accept"],
    ]);
    expect(Date.now() - started).toBeLessThan(20_000);
    // One connection throughout: a refused link is no connection problem.
    expect(client.status).toMatchObject({ state: "open", connections: 1 });
  });

  it("no route for the whole deadline: NoRouteError after several refused attaches", async () => {
    const { client, refusals } = await routerWithoutBroker();
    const started = Date.now();
    const error = await client
      .publish("broker/orders", { body: 1, messageId: "never-routed" }, { deadline: 1_500 })
      .catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(NoRouteError);
    const noRoute = error as NoRouteError;
    expect(noRoute).toMatchObject({
      code: "no-route",
      condition: "qd:no-route-to-dest",
      messageId: "never-routed",
      address: "broker/orders",
    });
    expect(noRoute.attaches).toBeGreaterThanOrEqual(3);
    expect(noRoute.message).toContain("no route to the destination");
    expect(refusals()).toBe(noRoute.attaches);
    expect(elapsed).toBeGreaterThanOrEqual(1_490);
    // Not a LinkRefusedError: that one is for final conditions.
    expect(error).not.toBeInstanceOf(LinkRefusedError);
    // Nothing waited any more, so that sender left the pool: the next publish attaches
    // afresh at once (its refusals count from one) instead of inheriting a backoff.
    const next = await client
      .publish("broker/orders", { body: 2 }, { deadline: 300 })
      .catch((e: unknown) => e);
    expect(next).toBeInstanceOf(NoRouteError);
    expect((next as NoRouteError).attaches).toBeGreaterThanOrEqual(1);
    expect((next as NoRouteError).attaches).toBeLessThan(noRoute.attaches);
    expect(client.status).toMatchObject({ state: "open", connections: 1 });
  });

  it("a consumer keeps re-attaching through the refusals and receives once the route is up", async () => {
    const { broker, mesh, client } = await routerWithoutBroker();
    const errors: Error[] = [];
    const got: ReceivedMessage[] = [];
    const consumer = client.consume(
      "broker/orders",
      (m) => {
        got.push(m);
      },
      { onError: (e) => errors.push(e) },
    );
    // A refused link is not ready, although the router answered its attach first (with a
    // null source): ready() rejects with the refusal.
    const firstReady = await consumer.ready().then(
      () => "ready",
      (e: unknown) => e,
    );
    expect(firstReady).toBeInstanceOf(LinkRefusedError);
    expect(firstReady).toMatchObject({ condition: "qd:no-route-to-dest", transient: true });
    await waitFor(() => errors.length >= 2, {
      timeout: 10_000,
      what: "two refused consumer attaches",
    });
    expect(errors[0]).toBeInstanceOf(LinkRefusedError);
    expect(errors[0]).toMatchObject({ condition: "qd:no-route-to-dest", transient: true });
    await broker.restart();
    await mesh.waitForConnector("x", "broker", { timeout: 10_000 });
    await consumer.ready();
    await client.publish("broker/orders", { body: "through", messageId: "c-routed" });
    await waitFor(() => got.length === 1, { timeout: 10_000, what: "the routed message" });
    expect(got[0]).toMatchObject({ messageId: "c-routed", body: "through" });
    await waitFor(() => broker.dispositions.length === 1, { what: "the consumer's accept" });
    expect(broker.dispositions[0]).toMatchObject({ messageId: "c-routed", outcome: "accepted" });
    await consumer.stop();
  });

  it("a final condition (amqp:not-found) still fails publish at once with LinkRefusedError", async () => {
    const mesh = await startTestMesh({
      routers: [{ id: "x" }],
      router: { defaultDistribution: "unavailable" },
    });
    const client = track(new MeshClient({ urls: [mesh.router("x").url] }), 200);
    const started = Date.now();
    const error = await client
      .publish("nowhere/orders", { body: 1 }, { deadline: 10_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LinkRefusedError);
    expect(error).toMatchObject({ condition: "amqp:not-found", transient: false });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
