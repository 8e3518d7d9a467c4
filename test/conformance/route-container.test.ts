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
import { typePrefix } from "../../shared/router-config/index.ts";
import { closeAllClients, connectClient, type TestClient } from "../support/amqp-client.ts";
import { address } from "../support/local-mesh.ts";
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
let muteBroker: FakeBroker;

function listenerPort(router: string, name: string): number {
  return Number(new URL(mesh.listenerUrl(router, name)).port);
}

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
            attributes: {
              name: "to-fake",
              address: "queued.fake",
              direction: "out",
              containerId: "fake-broker",
            },
          },
          {
            type: "autoLink",
            attributes: {
              name: "to-mute",
              address: "queued.mute",
              direction: "out",
              containerId: "mute-broker",
            },
          },
        ],
      },
    });
    broker = new FakeBroker();
    await broker.connect(listenerPort("b", "brokers"), "fake-broker");
    muteBroker = new FakeBroker({ echoTerminus: false });
    await muteBroker.connect(listenerPort("b", "brokers"), "mute-broker");
    await mesh.waitForLinkRoute("ext/x", { router: "a" });
  });
  afterAll(async () => {
    await broker?.close();
    await muteBroker?.close();
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

  async function autoLinkStatus(name: string): Promise<unknown> {
    const c = await connectClient(mesh.router("b").url);
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
    expect(broker.received).toContainEqual({ address: "queued.fake", body: "auto" });
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

  it("refuses link-routed attaches with qd:no-route-to-dest once the containers have gone", async () => {
    // Both carry the link routes: they are on the listener the routes name.
    await broker.close();
    await muteBroker.close();
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
