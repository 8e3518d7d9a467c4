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
 * listener and the routes. The linkRoute checks are qpid-dispatch's (skupper-router has no
 * linkRoute); the autoLink checks run on both flavours (both routers' cores activate an
 * autoLink only on an answer that names its terminus: connections.c,
 * qdr_link_inbound_second_attach_CT, in qpid-dispatch 1.19.0 and skupper-router 3.5.1).
 */

import rhea, { type Connection } from "rhea";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { typePrefix } from "../../shared/router-config/index.ts";
import { closeAllClients, connectClient, type TestClient } from "../support/amqp-client.ts";
import type { TargetMesh } from "../support/target-mesh.ts";
import { waitFor } from "../support/wait.ts";
import {
  closeTarget,
  NEEDS_OWN_ROUTERS,
  startOwnRouters,
  startsRouters,
  targetFlavour,
} from "./target.ts";

/**
 * A broker stand-in: accepts what it is sent, sends one message on each link it serves.
 * A broker answers a router's attach with the terminus it serves (RabbitMQ does); rhea's
 * default answer names none, and a real router then never activates an autoLink on it
 * (below). `echoTerminus: false` keeps rhea's default.
 */
class FakeBroker {
  readonly received: Array<{ address: string | undefined; body: unknown }> = [];
  readonly servedSources: string[] = [];
  /** The targets of the links the router attached to send to this broker. */
  readonly attachedTargets: string[] = [];
  connection: Connection | undefined;
  private readonly echoTerminus: boolean;
  constructor(options: { echoTerminus?: boolean } = {}) {
    this.echoTerminus = options.echoTerminus ?? true;
  }

  async connect(port: number, containerId: string): Promise<void> {
    const container = rhea.create_container({ id: containerId });
    for (const e of ["error", "protocol_error", "connection_error", "session_error"]) {
      container.on(e, () => {});
    }
    container.on("message", (context) => {
      const target = context.receiver?.target as { address?: string } | undefined;
      this.received.push({ address: target?.address, body: context.message?.body });
    });
    container.on("receiver_open", (context) => {
      const target = context.receiver.target as { address?: string } | undefined;
      this.attachedTargets.push(target?.address ?? "");
      if (this.echoTerminus && target?.address !== undefined) {
        context.receiver.set_target({ address: target.address });
      }
    });
    container.on("sender_open", (context) => {
      const source = (context.sender.source as { address?: string } | undefined)?.address;
      if (this.echoTerminus && source !== undefined) context.sender.set_source({ address: source });
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

/** Router b's listener for brokers that connect to it. */
const BROKERS_LISTENER = {
  type: "listener" as const,
  attributes: {
    name: "brokers",
    host: "127.0.0.1",
    port: "0",
    role: "route-container",
    saslMechanisms: "ANONYMOUS",
  },
};

/** linkRoute is qpid-dispatch's; skupper-router has none. */
const runs = startsRouters && targetFlavour === "qpid-dispatch";
const why = startsRouters
  ? "linkRoute: qpid-dispatch only (skupper-router has none)"
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
        a: [route("in", {}), route("out", {})],
        b: [
          BROKERS_LISTENER,
          route("in", { connection: "brokers" }),
          route("out", { connection: "brokers" }),
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

// autoLinks exist in both flavours: these run on skupper-router too.
let autoMesh: TargetMesh;
let fakeBroker: FakeBroker;
let muteBroker: FakeBroker;

describe.skipIf(!startsRouters)(
  `route-container listeners carry autoLinks bound by container id — ${startsRouters ? "both flavours" : NEEDS_OWN_ROUTERS}`,
  () => {
    beforeAll(async () => {
      const autoLink = (name: string, address: string, containerId: string) => ({
        type: "autoLink" as const,
        attributes: { name, address, direction: "out", containerId },
      });
      autoMesh = await startOwnRouters({
        routers: [{ id: "a" }, { id: "b" }],
        links: [["a", "b", 1]],
        entities: {
          b: [
            BROKERS_LISTENER,
            autoLink("to-fake", "queued.fake", "fake-broker"),
            autoLink("to-mute", "queued.mute", "mute-broker"),
          ],
        },
      });
      const port = Number(new URL(autoMesh.listenerUrl("b", "brokers")).port);
      fakeBroker = new FakeBroker();
      await fakeBroker.connect(port, "fake-broker");
      muteBroker = new FakeBroker({ echoTerminus: false });
      await muteBroker.connect(port, "mute-broker");
    });
    afterAll(async () => {
      await fakeBroker?.close();
      await muteBroker?.close();
      await closeTarget();
    });
    afterEach(closeAllClients);

    async function client(): Promise<TestClient> {
      return connectClient(autoMesh.router("a").url);
    }

    async function autoLinkStatus(name: string): Promise<unknown> {
      const c = await connectClient(autoMesh.router("b").url);
      const reply = await c.management({
        operation: "READ",
        type: `${typePrefix(targetFlavour)}.router.config.autoLink`,
        name,
      });
      return (reply.body as Record<string, unknown>).operStatus;
    }

    it("binds an autoLink by the container id the peer announced, once its answer names the target", async () => {
      await waitFor(async () => (await autoLinkStatus("to-fake")) === "active", {
        what: "autoLink to-fake to become active",
      });
      const sender = await (await client()).sender("queued.fake");
      await sender.waitForCredit();
      expect(await sender.sendAndWait({ body: "auto" })).toEqual({ outcome: "accepted" });
      expect(fakeBroker.received).toContainEqual({ address: "queued.fake", body: "auto" });
    });

    // qdrouterd 1.19's core (connections.c, qdr_link_inbound_second_attach_CT) activates an
    // autoLink only when the peer's attach has a target address (out) or source address (in).
    it("leaves an autoLink attaching when the peer's answer names no target: its address gets no credit", async () => {
      await waitFor(() => muteBroker.attachedTargets.includes("queued.mute"), {
        what: "the router to attach autoLink to-mute to the mute broker",
      });
      const c = await client();
      const mute = await c.sender("queued.mute");
      // The same router, the same path, a peer that names its target: credit comes.
      const control = await c.sender("queued.fake");
      await control.waitForCredit();
      expect(mute.credit).toBe(0);
      expect(await autoLinkStatus("to-mute")).toBe("attaching");
      expect(await autoLinkStatus("to-fake")).toBe("active");
    });
  },
);
