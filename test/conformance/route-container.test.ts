/**
 * A broker that connects to the router — a listener with role `route-container` — carries
 * link routes and autoLinks like a connector's connection does. qdrouterd's linkRoute and
 * autoLink `connection` attribute names "a connector or listener", `containerId` matches
 * the container id the peer announces in its open (qdrouter.json, linkRoute/autoLink).
 * Assumed here, as for connectors: only the router holding the connection applies the
 * route's external prefixes, and a route whose carrier is gone refuses attaches with
 * `qd:no-route-to-dest`.
 *
 * The "broker" is a rhea container in this test; no RabbitMQ needed. The suite starts the
 * routers itself (emulator or real processes): the config needs the route-container
 * listener and the routes. qpid-dispatch only (linkRoute, waypoint phases).
 */

import rhea, { type Connection } from "rhea";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { closeAllClients, connectClient, type TestClient } from "../support/amqp-client.ts";
import { address } from "../support/local-mesh.ts";
import type { TargetMesh } from "../support/target-mesh.ts";
import { waitFor } from "../support/wait.ts";
import {
  closeTarget,
  NEEDS_OWN_ROUTERS,
  onEmulator,
  startOwnRouters,
  startsRouters,
  targetFlavour,
} from "./target.ts";

/** A broker stand-in: accepts what it is sent, sends one message on each link it serves. */
class FakeBroker {
  readonly received: Array<{ address: string | undefined; body: unknown }> = [];
  readonly servedSources: string[] = [];
  connection: Connection | undefined;

  async connect(port: number, containerId: string): Promise<void> {
    const container = rhea.create_container({ id: containerId });
    for (const e of ["error", "protocol_error", "connection_error", "session_error"]) {
      container.on(e, () => {});
    }
    container.on("message", (context) => {
      const target = context.receiver?.target as { address?: string } | undefined;
      this.received.push({ address: target?.address, body: context.message?.body });
    });
    container.on("sender_open", (context) => {
      const source = (context.sender.source as { address?: string } | undefined)?.address;
      this.servedSources.push(source ?? "");
      let sent = false;
      const send = (): void => {
        if (sent || !context.sender.sendable()) return;
        sent = true;
        context.sender.send({ body: `from broker via ${source}` });
      };
      context.sender.on("sendable", send);
      send();
    });
    const connection = container.connect({ host: "127.0.0.1", port, reconnect: false });
    this.connection = connection;
    await new Promise<void>((resolve, reject) => {
      connection.once("connection_open", () => resolve());
      connection.once("disconnected", () => reject(new Error("fake broker could not connect")));
    });
  }

  async close(): Promise<void> {
    const connection = this.connection;
    if (!connection) return;
    this.connection = undefined;
    const gone = new Promise<void>((resolve) => {
      connection.once("connection_close", () => resolve());
      connection.once("disconnected", () => resolve());
    });
    connection.close();
    await gone;
    (connection as unknown as { socket?: { destroy(): void } }).socket?.destroy();
  }
}

let mesh: TargetMesh;
let broker: FakeBroker;

function listenerPort(router: string, name: string): number {
  return Number(new URL(mesh.listenerUrl(router, name)).port);
}

const RHEA_AUTOLINK =
  "a rhea container on a route-container listener: real qdrouterd keeps its autoLink attaching (emulator only for now)";

/** linkRoute and waypoint phases are qpid-dispatch's; skupper-router has neither. */
const runs = startsRouters && targetFlavour === "qpid-dispatch";
const why = startsRouters
  ? "linkRoute and address phases: qpid-dispatch only (skupper-router has neither)"
  : NEEDS_OWN_ROUTERS;

describe.skipIf(!runs)(`route-container listeners carry routes — ${why}`, () => {
  beforeAll(async () => {
    const route = (direction: string, binding: Record<string, string>) => ({
      type: "linkRoute" as const,
      attributes: { prefix: "ext", direction, ...binding },
    });
    mesh = await startOwnRouters({
      routers: [{ id: "a" }, { id: "b" }],
      links: [["a", "b", 1]],
      entities: {
        "*": [address("queued", "balanced", { waypoint: true })],
        a: [route("in", {}), route("out", {})],
        b: [
          {
            type: "listener",
            attributes: {
              name: "brokers",
              host: "127.0.0.1",
              port: "0",
              role: "route-container",
              saslMechanisms: "ANONYMOUS",
            },
          },
          route("in", { connection: "brokers" }),
          route("out", { connection: "brokers" }),
          {
            type: "autoLink",
            attributes: { address: "queued.fake", direction: "out", containerId: "fake-broker" },
          },
        ],
      },
    });
    broker = new FakeBroker();
    await broker.connect(listenerPort("b", "brokers"), "fake-broker");
    await mesh.waitForLinkRoute("ext/x", { router: "a" });
  });
  afterAll(async () => {
    await broker?.close();
    await closeTarget();
  });
  afterEach(closeAllClients);

  async function client(): Promise<TestClient> {
    return connectClient(mesh.router("a").url);
  }

  it("link-routes a sender from another router to the connected container, outcome back", async () => {
    const sender = await (await client()).sender("ext/orders");
    await sender.waitForCredit();
    expect(await sender.sendAndWait({ body: "to the broker" })).toEqual({ outcome: "accepted" });
    expect(broker.received).toContainEqual({ address: "ext/orders", body: "to the broker" });
  });

  it("link-routes a receiver: the container serves it", async () => {
    const receiver = await (await client()).receiver("ext/replies");
    expect((await receiver.next()).message.body).toBe("from broker via ext/replies");
    expect(broker.servedSources).toContain("ext/replies");
  });

  // Seen on qdrouterd 1.19.0 with this rhea stand-in: the autoLink is activated on the
  // connection and its link attached, but its status stays `attaching` and the address
  // gets no destination, so the producer gets no credit; with RabbitMQ on a connector the
  // same binding works there (broker.test.ts). Not understood yet: emulator only for now.
  it.skipIf(!onEmulator)(
    `binds an autoLink by the container id the peer announced — ${RHEA_AUTOLINK}`,
    async () => {
      const sender = await (await client()).sender("queued.fake");
      await sender.waitForCredit();
      expect(await sender.sendAndWait({ body: "auto" })).toEqual({ outcome: "accepted" });
      expect(broker.received).toContainEqual({ address: "queued.fake", body: "auto" });
    },
  );

  it("refuses link-routed attaches with qd:no-route-to-dest once the container has gone", async () => {
    await broker.close();
    // Once the routers saw the container go, an attach is refused.
    const c = await client();
    await waitFor(
      async () => {
        const sender = await c.sender("ext/orders");
        const refused = await Promise.race([
          sender.detached,
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 500)),
        ]);
        if (refused === undefined) await sender.close();
        return refused?.condition === "qd:no-route-to-dest";
      },
      { what: "attaches to be refused with qd:no-route-to-dest", timeout: 10_000 },
    );
  });
});
