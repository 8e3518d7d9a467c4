import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ConnectionFailedError,
  getSharedClient,
  getSharedPublisher,
  MeshClient,
  type MeshClientConfigInput,
  MeshPublisher,
  type ReceivedMessage,
  RequestTimeoutError,
  redactConfig,
} from "../../../shared/amqp/index.ts";
import { makeTestCertificates, type TestCertificates } from "../../support/tls-certs.ts";
import { waitFor } from "../../support/wait.ts";
import { closeTracked, logCollector, track } from "./helpers.ts";
import { MessageStore, TestPeer } from "./peer.ts";

afterEach(closeTracked);

const fast = { initialDelayMs: 10, maxDelayMs: 50 };

describe("connection: lazy connect, failover, reconnect", () => {
  it("connects lazily on first use, sends its idle timeout (heartbeats), closes cleanly", async () => {
    const peer = track(await TestPeer.start());
    const client = new MeshClient({ urls: [peer.url], idleTimeoutMs: 4_000 });
    expect(client.status.state).toBe("idle");
    expect(peer.connectionsOpened).toBe(0);
    await client.publish("a", { body: 1 });
    expect(client.status).toMatchObject({ state: "open", url: peer.url, connections: 1 });
    expect(peer.idleTimeouts).toEqual([4_000]);
    await client.close();
    await waitFor(() => peer.openConnections === 0, { what: "the peer to see the close" });
    expect(client.status.state).toBe("closed");
    await expect(client.publish("a", { body: 2 })).rejects.toMatchObject({ code: "client-closed" });
  });

  it("fails over to the next url when the first is down", async () => {
    const down = await TestPeer.start();
    const downUrl = down.url;
    await down.stop();
    const peer = track(await TestPeer.start());
    const client = track(new MeshClient({ urls: [downUrl, peer.url], reconnect: fast }));
    await client.publish("a", { body: 1, messageId: "fo-1" });
    expect(client.status.url).toBe(peer.url);
    expect(peer.received.map((r) => r.messageId)).toEqual(["fo-1"]);
  });

  it("after losing the router, reconnects to the other url and rebuilds sender and receiver", async () => {
    const store = new MessageStore();
    const a = track(await TestPeer.start({ store }));
    const b = track(await TestPeer.start({ store }));
    const client = track(new MeshClient({ urls: [a.url, b.url], reconnect: fast }));
    const got: ReceivedMessage[] = [];
    const consumer = client.consume("q", (m) => {
      got.push(m);
    });
    await consumer.ready();
    await client.publish("q", { body: 1, messageId: "before" });
    expect(client.status.url).toBe(a.url);
    await a.stop();
    await client.publish("q", { body: 2, messageId: "after" });
    expect(client.status.url).toBe(b.url);
    await waitFor(() => got.some((m) => m.messageId === "after"), {
      what: "the message after failover",
    });
    expect(got.map((m) => m.messageId)).toContain("before");
    expect(b.received.map((r) => r.messageId)).toEqual(["after"]);
  });

  it("links opened while reconnecting attach once the connection is back", async () => {
    const peer = track(await TestPeer.start());
    const client = track(new MeshClient({ urls: [peer.url], reconnect: fast }));
    await client.connect();
    await peer.stop();
    await waitFor(() => client.status.state === "connecting", {
      what: "the client to notice the loss",
    });
    // Opened while no connection exists:
    const got: string[] = [];
    const consumer = client.consume("late", (m) => {
      got.push(String(m.messageId));
    });
    const published = client.publish(
      "late",
      { body: 1, messageId: "late-1" },
      { deadline: 10_000 },
    );
    await peer.restart();
    await published;
    await consumer.ready();
    await waitFor(() => got.length === 1, {
      what: "the consumer opened while reconnecting to receive",
    });
    expect(got).toEqual(["late-1"]);
    expect(client.status.connections).toBe(2);
  });

  it("publishes across a router loss: every resolved publish is stored at least once", async () => {
    const store = new MessageStore();
    const a = track(await TestPeer.start({ store }));
    const b = track(await TestPeer.start({ store }));
    const client = track(new MeshClient({ urls: [a.url, b.url], reconnect: fast }));
    let cutAt = -1;
    a.onTransfer = () => {
      if (cutAt < 0 && a.received.length === 300) {
        cutAt = a.received.length;
        // Cut in the middle of a batch: accepted here, but the dispositions never leave.
        void a.stop();
      }
    };
    const ids = Array.from({ length: 1_000 }, (_, i) => `m-${i}`);
    const results = await Promise.allSettled(
      ids.map((id) => client.publish("fo", { body: id, messageId: id }, { deadline: 10_000 })),
    );
    const resolved = ids.filter((_, i) => results[i]?.status === "fulfilled");
    expect(resolved).toHaveLength(ids.length);
    const stored = (store.queues.get("fo") ?? []).map((m) => String(m.message_id));
    const counts = new Map<string, number>();
    for (const id of stored) counts.set(id, (counts.get(id) ?? 0) + 1);
    const missing = resolved.filter((id) => !counts.has(id));
    const duplicates = [...counts.values()].filter((n) => n > 1).length;
    console.log(
      `failover (peer): ${resolved.length} resolved, ${stored.length} stored, ${duplicates} duplicates`,
    );
    expect(missing).toEqual([]);
    expect(cutAt).toBeGreaterThan(0);
  });

  it("a router that drops every connection right after open is retried with backoff, not in a hot loop", async () => {
    const peer = track(await TestPeer.start());
    peer.dropOnOpen = true;
    const client = track(
      new MeshClient({ urls: [peer.url], reconnect: { initialDelayMs: 50, maxDelayMs: 200 } }),
    );
    const error = await client.publish("a", { body: 1 }, { deadline: 1_000 }).catch((e) => e);
    expect(error).toMatchObject({ code: "back-pressure" });
    expect(error.message).toContain("no router connected");
    expect(peer.connectionsOpened).toBeGreaterThan(1);
    expect(peer.connectionsOpened).toBeLessThan(20);
  });

  it("close() lets publishes already under way finish", async () => {
    const peer = track(await TestPeer.start({ credit: 10 }));
    const client = new MeshClient({ urls: [peer.url], reconnect: fast });
    await client.connect();
    const publishes = Array.from({ length: 200 }, (_, i) => client.publish("a", { body: i }));
    await client.close(5_000);
    const results = await Promise.allSettled(publishes);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(200);
    expect(peer.received).toHaveLength(200);
  });

  it("close() gives pending publishes a grace period, then fails them with ClientClosedError", async () => {
    const peer = track(await TestPeer.start({ credit: 0 }));
    const client = new MeshClient({ urls: [peer.url], reconnect: fast });
    const pending = client.publish("a", { body: 1 }, { deadline: 10_000 }).catch((e) => e);
    await waitFor(() => client.status.state === "open", { what: "the connection" });
    await client.close(50);
    expect(await pending).toMatchObject({ code: "client-closed" });
  });

  it("a router gone silent (no heartbeats) is detected through the idle timeout and failed over", async () => {
    const store = new MessageStore();
    const a = track(await TestPeer.start({ store }));
    const b = track(await TestPeer.start({ store }));
    const client = track(
      new MeshClient({ urls: [a.url, b.url], idleTimeoutMs: 200, reconnect: fast }),
    );
    await client.publish("hb", { body: 1 });
    expect(client.status.url).toBe(a.url);
    a.freeze();
    await waitFor(() => client.status.url === b.url, {
      timeout: 5_000,
      what: "failover after the idle timeout",
    });
    await client.publish("hb", { body: 2, messageId: "after-silence" });
    expect(b.received.map((r) => r.messageId)).toEqual(["after-silence"]);
  });

  it("requests: a reply address lost with the connection fails pending requests at once; the next one works", async () => {
    const peer = track(await TestPeer.start());
    const client = track(new MeshClient({ urls: [peer.url], reconnect: fast }));
    let answer = false;
    const service = client.consume("svc", async (m) => {
      if (answer)
        await client.publish(String(m.replyTo), { body: "pong", correlationId: m.messageId });
    });
    await service.ready();
    const pending = client.request("svc", { body: "ping" }, { timeoutMs: 10_000 }).catch((e) => e);
    await waitFor(() => peer.received.some((r) => r.address === "svc"), {
      what: "the request at the peer",
    });
    peer.dropConnections("destroy");
    const error = await pending;
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error.reason).toBe("connection-lost");
    answer = true;
    const reply = await client.request("svc", { body: "ping" }, { timeoutMs: 5_000 });
    expect(reply.body).toBe("pong");
    expect(client.status.connections).toBe(2);
  });

  it("gives up after maxAttempts with ConnectionFailedError naming the urls", async () => {
    const down = await TestPeer.start();
    const url = down.url;
    await down.stop();
    const client = track(new MeshClient({ urls: [url], reconnect: { ...fast, maxAttempts: 2 } }));
    const error = await client.publish("a", { body: 1 }, { deadline: 5_000 }).catch((e) => e);
    expect(error).toBeInstanceOf(ConnectionFailedError);
    expect(error.message).toContain(url);
    // The next call starts a fresh attempt cycle.
    await expect(client.connect()).rejects.toBeInstanceOf(ConnectionFailedError);
  });
});

describe("shared client", () => {
  it("one client per process and config; a different secret is a different client", async () => {
    const peer = track(await TestPeer.start());
    const config: MeshClientConfigInput = { urls: [peer.url] };
    const one = getSharedClient(config);
    track(one);
    expect(getSharedClient({ urls: [peer.url] })).toBe(one);
    const other = getSharedClient({
      urls: [peer.url],
      sasl: { mechanism: "PLAIN", username: "u", password: "p2" },
    });
    track(other);
    expect(other).not.toBe(one);
    await one.close();
    const fresh = getSharedClient(config);
    track(fresh);
    expect(fresh).not.toBe(one);
  });

  it("a publisher (publish only) per process and config: the shared client's when there is one", async () => {
    const peer = track(await TestPeer.start());
    const publisher = track(getSharedPublisher({ urls: [peer.url], containerId: "p" }));
    expect(publisher).toBeInstanceOf(MeshPublisher);
    expect(publisher).not.toBeInstanceOf(MeshClient);
    expect(getSharedPublisher({ urls: [peer.url], containerId: "p" })).toBe(publisher);
    await publisher.publish("orders", { body: { n: 1 }, messageId: "m-1" });
    expect(peer.received.map((r) => r.messageId)).toEqual(["m-1"]);
    expect(publisher.status).toMatchObject({ state: "open", connections: 1, senders: 1 });
    expect(inspect(publisher)).toContain("MeshPublisher");
    // A client of the same config is a client (consume, request), not the publisher.
    const client = track(getSharedClient({ urls: [peer.url], containerId: "p" }));
    expect(client).toBeInstanceOf(MeshClient);
    expect(getSharedPublisher({ urls: [peer.url], containerId: "p" })).toBe(client);
    expect(inspect(client)).toContain("MeshClient");
    await publisher.close();
    await expect(publisher.publish("orders", { body: 2 })).rejects.toMatchObject({
      code: "client-closed",
    });
  });
});

describe("TLS and SASL PLAIN; secrets never leak", () => {
  let certs: TestCertificates;
  /** PEM strings: the CA clients trust, and the certificate and key the peer serves. */
  let ca = "";
  let cert = "";
  let key = "";
  beforeAll(async () => {
    certs = await makeTestCertificates();
    ca = certs.ca.toString("utf8");
    cert = readFileSync(certs.certFile, "utf8");
    key = readFileSync(certs.privateKeyFile, "utf8");
  });
  afterAll(() => certs.remove());

  const password = "s3cr3t-Pa55w0rd";

  it("reaches a TLS peer with SASL PLAIN (CA given as a PEM string and as a file path)", async () => {
    const peer = track(await TestPeer.start({ tls: { key, cert }, users: { alice: password } }));
    for (const trusted of [ca, certs.caCertFile]) {
      const client = track(
        new MeshClient({
          urls: [peer.url],
          tls: { ca: trusted, servername: "localhost", rejectUnauthorized: true },
          sasl: { mechanism: "PLAIN", username: "alice", password },
        }),
      );
      await client.publish("secure", { body: 1 });
    }
    expect(peer.saslLogins).toEqual(["alice", "alice"]);
    expect(peer.received).toHaveLength(2);
  });

  it("a wrong password fails with an error and logs that never contain a secret", async () => {
    const peer = track(await TestPeer.start({ tls: { key, cert }, users: { alice: "right" } }));
    const { lines, log } = logCollector();
    const urlWithSecret = peer.url.replace("amqps://", `amqps://alice:${password}@`);
    const client = track(
      new MeshClient(
        {
          urls: [urlWithSecret],
          tls: {
            ca,
            servername: "localhost",
            rejectUnauthorized: true,
            passphrase: password,
          },
          sasl: { mechanism: "PLAIN", username: "alice", password },
          reconnect: { ...fast, maxAttempts: 1 },
        },
        { log },
      ),
    );
    const error = await client.publish("secure", { body: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(ConnectionFailedError);
    const everything = [
      error.message,
      error.stack,
      inspect(error, { depth: 5 }),
      JSON.stringify(error),
      ...lines,
      JSON.stringify(client.describe()),
      JSON.stringify(redactConfig(client.config)),
    ].join("\n");
    expect(lines.length).toBeGreaterThan(0);
    expect(everything).not.toContain(password);
    expect(everything).toContain("alice:***@");
  });

  it("SASL EXTERNAL: the client certificate is the identity", async () => {
    const peer = track(await TestPeer.start({ tls: { key, cert, clientCa: ca }, external: true }));
    const client = track(
      new MeshClient({
        urls: [peer.url],
        tls: {
          ca,
          cert: certs.certFile,
          key,
          servername: "localhost",
          rejectUnauthorized: true,
        },
        sasl: { mechanism: "EXTERNAL" },
      }),
    );
    await client.publish("secure", { body: 1 });
    expect(peer.mechanisms).toEqual(["ExternalServer"]);
  });

  it("an unreadable CA path is a config error naming the field, the path only if it exists", async () => {
    const missing = join(certs.dir, "nope.pem");
    const client = track(
      new MeshClient({
        urls: ["amqps://127.0.0.1:1"],
        tls: { ca: missing, rejectUnauthorized: true },
      }),
    );
    // No retry loop for a config problem: it fails at once, without maxAttempts.
    const error = await client.connect().catch((e) => e);
    expect(error).toBeInstanceOf(ConnectionFailedError);
    expect(error.message).toContain("tls.ca");
    expect(error.message).toContain("ENOENT");
    // A value that names no file may be key material pasted without its -----BEGIN line.
    expect(error.message).not.toContain(missing);
    const directory = track(
      new MeshClient({
        urls: ["amqps://127.0.0.1:1"],
        tls: { ca: certs.dir, rejectUnauthorized: true },
      }),
    );
    const unreadable = await directory.connect().catch((e) => e);
    expect(unreadable.message).toContain(`cannot read PEM file ${certs.dir} (EISDIR)`);
  });

  it("a client printed with console.log or JSON.stringify shows no secret", async () => {
    const client = track(
      new MeshClient({
        urls: [`amqps://alice:${password}@127.0.0.1:1`],
        tls: { key, cert, passphrase: password, rejectUnauthorized: true },
        sasl: { mechanism: "PLAIN", username: "alice", password },
      }),
    );
    const shown = [JSON.stringify(client), inspect(client, { depth: 10 }), String(client)].join(
      "\n",
    );
    expect(shown).not.toContain(password);
    expect(shown).not.toContain(key.split("\n")[1]);
    expect(shown).toContain("alice:***@127.0.0.1:1");
  });
});
