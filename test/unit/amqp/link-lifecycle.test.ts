/**
 * The link lifecycle under the client's sender, consumer and reply receiver
 * (shared/amqp/link-lifecycle.ts), against an in-process rhea peer in the style of rhea's
 * test/reconnect.ts: a fresh peer per test on `listen({ port: 0 })`, answering each attach
 * as a router would (open it, refuse it with a null terminus and a detach, or end its
 * session), and cutting the connection with `socket.end()`; assertions on what the link saw.
 */
import type { AddressInfo, Server } from "node:net";
import rhea from "rhea";
import { afterEach, describe, expect, it } from "vitest";
import { parseMeshClientConfig } from "../../../shared/amqp/config.ts";
import { MeshConnection } from "../../../shared/amqp/connection.ts";
import type { ConnectionFailedError } from "../../../shared/amqp/errors.ts";
import { type DetachCause, LinkLifecycle } from "../../../shared/amqp/link-lifecycle.ts";
import {
  attachedSource,
  type Connection,
  type Receiver,
  type Session,
} from "../../../shared/amqp/rhea.ts";

type Answer =
  | { kind: "open" }
  | { kind: "refuse"; condition: string; description: string }
  | { kind: "end-session"; condition: string };

/** A peer that answers every attach with `answer(n)` (n counts attaches from 1). */
async function startPeer(answer: (n: number) => Answer) {
  const container = rhea.create_container({ id: "lifecycle-peer" });
  container.on("error", () => {});
  const connections = new Set<rhea.Connection>();
  let attaches = 0;
  container.on("connection_open", (ctx) => connections.add(ctx.connection));
  container.on("disconnected", (ctx) => connections.delete(ctx.connection));
  container.on("sender_open", (ctx) => {
    const link = ctx.sender as rhea.Sender;
    const reply = answer(++attaches);
    // Opened as a router does: the answering attach names the source the client asked for.
    if (reply.kind === "open") link.set_source({ address: "probe" });
    else if (reply.kind === "refuse") {
      // As qdrouterd does (AMQP 1.0 §2.6.3): a null source in the answering attach, then the detach.
      (link as unknown as { local: { attach: { source: unknown } } }).local.attach.source = null;
      link.close({ condition: reply.condition, description: reply.description });
    } else if (reply.kind === "end-session") {
      link.session.close({ condition: reply.condition });
    }
  });
  const server = container.listen({ port: 0, host: "127.0.0.1" }) as unknown as Server;
  await new Promise((resolve) => server.once("listening", resolve));
  return {
    url: `amqp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get attaches() {
      return attaches;
    },
    /** Ends every connection's socket, as a router that goes away. */
    cut(): void {
      for (const c of connections) (c as unknown as { socket: { end(): void } }).socket.end();
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The smallest link on the lifecycle: records what it hears; re-attaches when told to. */
class ProbeLink extends LinkLifecycle<Receiver> {
  readonly heard: string[] = [];
  closed = false;
  retryAfterMs: number | undefined;

  constructor(connection: MeshConnection) {
    super(connection);
    connection.register(this);
  }

  protected get attachable(): boolean {
    return !this.closed;
  }

  protected openLink(connection: Connection): { session: Session; link: Receiver } {
    const session = connection.create_session();
    session.begin();
    const link = session.attach_receiver({ source: { address: "probe" }, credit_window: 0 });
    return { session, link };
  }

  protected opened(link: Receiver): void {
    this.heard.push(attachedSource(link) === undefined ? "refused" : "opened");
  }

  protected listen(): void {}

  protected detached(_link: Receiver, cause: DetachCause): void {
    this.heard.push(`detached ${cause.condition} ${cause.description ?? ""}`.trim());
    this.forgetLink().session?.close();
    if (this.retryAfterMs !== undefined) this.reattachLater(this.retryAfterMs);
  }

  connectionLost(): void {
    this.heard.push("connection lost");
    this.forgetLink();
  }

  /** Detaches and ends the session (at once if answered, else once the router answers). */
  close(): void {
    this.closed = true;
    this.closeLink();
    this.leave();
  }

  connectionFailed(error: ConnectionFailedError): void {
    this.heard.push(`failed ${error.message}`);
  }
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

async function setUp(answer: (n: number) => Answer) {
  const peer = await startPeer(answer);
  cleanup.push(peer.stop);
  const connection = new MeshConnection(
    parseMeshClientConfig({ urls: [peer.url], reconnect: { initialDelayMs: 10, maxDelayMs: 50 } }),
  );
  cleanup.push(() => connection.close(200));
  return { peer, connection };
}

/** Waits until `probe` heard `count` things (bounded; never a sleep that asserts). */
async function heard(probe: ProbeLink, count: number): Promise<string[]> {
  for (let i = 0; i < 200 && probe.heard.length < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return probe.heard;
}

describe("link lifecycle", () => {
  it("attaches when the lazily started connection opens, and hears the router's answer", async () => {
    const { peer, connection } = await setUp(() => ({ kind: "open" }));
    const probe = new ProbeLink(connection);
    expect(await heard(probe, 1)).toEqual(["opened"]);
    expect(peer.attaches).toBe(1);
  });

  it("a refusal is heard as an answer without a source, then the detach with its reason", async () => {
    const { connection } = await setUp(() => ({
      kind: "refuse",
      condition: "amqp:unauthorized-access",
      description: "no policy for probe",
    }));
    const probe = new ProbeLink(connection);
    expect(await heard(probe, 2)).toEqual([
      "refused",
      "detached amqp:unauthorized-access no policy for probe",
    ]);
  });

  it("a session ended by the router counts as the link's detach, with the session's error", async () => {
    const { connection } = await setUp(() => ({
      kind: "end-session",
      condition: "amqp:not-found",
    }));
    const probe = new ProbeLink(connection);
    const events = await heard(probe, 2);
    expect(events.at(-1)).toBe("detached amqp:not-found");
  });

  it("re-attaches after its backoff, and stops once it is no longer attachable", async () => {
    const { peer, connection } = await setUp((n) =>
      n < 3
        ? { kind: "refuse", condition: "qd:no-route-to-dest", description: "" }
        : { kind: "open" },
    );
    const probe = new ProbeLink(connection);
    probe.retryAfterMs = 20;
    expect(await heard(probe, 5)).toEqual([
      "refused",
      "detached qd:no-route-to-dest",
      "refused",
      "detached qd:no-route-to-dest",
      "opened",
    ]);
    expect(peer.attaches).toBe(3);
  });

  it("a pending re-attach is not run for a link closed meanwhile", async () => {
    const { peer, connection } = await setUp(() => ({
      kind: "refuse",
      condition: "qd:no-route-to-dest",
      description: "",
    }));
    const probe = new ProbeLink(connection);
    probe.retryAfterMs = 50;
    await heard(probe, 2);
    probe.closed = true;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(peer.attaches).toBe(1);
  });

  it("after a lost connection: attaches on the next, and the dead link's events go unheard", async () => {
    const { peer, connection } = await setUp(() => ({ kind: "open" }));
    const probe = new ProbeLink(connection);
    await heard(probe, 1);
    peer.cut();
    expect(await heard(probe, 3)).toEqual(["opened", "connection lost", "opened"]);
    expect(peer.attaches).toBe(2);
    expect(connection.openCount).toBe(2);
  });

  it("closed before the router answered its attach: the session ends after the answer, the connection stays", async () => {
    const { peer, connection } = await setUp(() => ({ kind: "open" }));
    await connection.waitOpen();
    const keeper = new ProbeLink(connection);
    await heard(keeper, 1);
    for (let i = 0; i < 5; i++) {
      const probe = new ProbeLink(connection);
      // The attach (and its session's begin) just went out; nothing answered yet.
      probe.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(peer.attaches).toBe(6);
    expect(keeper.heard).toEqual(["opened"]);
    expect(connection.openCount).toBe(1);
    expect(connection.state).toBe("open");
  });
});
