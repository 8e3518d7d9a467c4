/**
 * Every connection failure of the shared client names its cause, on a real emulator router
 * (SASL PLAIN required, a TLS listener): a wrong password is a SASL outcome with the mechanism
 * and user (never the password) and is final — the client stops at once instead of retrying;
 * a closed port is "connection refused"; a TLS listener whose CA the client does not trust is
 * a certificate problem with the reason.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LocalMesh } from "../../../emulator/index.ts";
import { ConnectionFailedError, MeshClient } from "../../../shared/amqp/index.ts";
import { freePort } from "../../support/free-port.ts";
import { startTestMesh, stopAllMeshes } from "../../support/local-mesh.ts";
import { makeTestCertificates, type TestCertificates } from "../../support/tls-certs.ts";
import { closeTracked, logCollector, track } from "./helpers.ts";

const PASSWORD = "right-Pa55word";
const WRONG = "wrong-Pa55word";
let mesh: LocalMesh;
let certs: TestCertificates;
let otherCa: TestCertificates;
let tlsUrl: string;

beforeAll(async () => {
  certs = await makeTestCertificates();
  otherCa = await makeTestCertificates();
  mesh = await startTestMesh({
    routers: [{ id: "a" }],
    listener: { saslMechanisms: "PLAIN", authenticatePeer: true },
    users: new Map([["alice", PASSWORD]]),
    entities: {
      a: [
        {
          type: "sslProfile",
          attributes: {
            name: "server-tls",
            caCertFile: certs.caCertFile,
            certFile: certs.certFile,
            privateKeyFile: certs.privateKeyFile,
          },
        },
        {
          type: "listener",
          attributes: {
            name: "tls",
            host: "127.0.0.1",
            port: "0",
            sslProfile: "server-tls",
            saslMechanisms: "PLAIN",
            authenticatePeer: true,
          },
        },
      ],
    },
  });
  const listener = mesh.router("a").router.listeners.find((l) => l.tls);
  if (listener === undefined) throw new Error("router a has no TLS listener");
  tlsUrl = `amqps://localhost:${listener.port}`;
});
afterEach(closeTracked);
afterAll(async () => {
  await stopAllMeshes();
  certs?.remove();
  otherCa?.remove();
});

async function failureOf(client: MeshClient): Promise<ConnectionFailedError> {
  const error = await client.connect().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectionFailedError);
  return error as ConnectionFailedError;
}

describe("a connection failure names its cause", () => {
  it("the right password connects (the router really takes PLAIN)", async () => {
    const client = track(
      new MeshClient({
        urls: [mesh.router("a").url],
        sasl: { mechanism: "PLAIN", username: "alice", password: PASSWORD },
      }),
    );
    await client.connect();
    expect(client.status.state).toBe("open");
  });

  it("a wrong password: the SASL outcome, mechanism and user, final — no retry loop", async () => {
    const { lines, log } = logCollector();
    // No maxAttempts: a transient failure would be retried for ever; this one must not be.
    const client = track(
      new MeshClient(
        {
          urls: [mesh.router("a").url],
          sasl: { mechanism: "PLAIN", username: "alice", password: WRONG },
          reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
        },
        { log },
      ),
    );
    const error = await failureOf(client);
    expect(error.failure).toMatchObject({ kind: "authentication", final: true });
    expect(error.final).toBe(true);
    expect(error.message).toMatch(/SASL PLAIN as 'alice' refused: SASL outcome auth/);
    expect(error.message).not.toMatch(/no AMQP router reachable/);
    expect(lines.filter((l) => l.startsWith("amqp: could not connect"))).toHaveLength(1);
    expect([error.message, ...lines].join("\n")).not.toContain(WRONG);
  });

  it("two routers refusing the login: tried once each, then final", async () => {
    const second = await startTestMesh({
      routers: [{ id: "b" }],
      listener: { saslMechanisms: "PLAIN", authenticatePeer: true },
      users: new Map([["alice", PASSWORD]]),
    });
    const client = track(
      new MeshClient({
        urls: [mesh.router("a").url, second.router("b").url],
        sasl: { mechanism: "PLAIN", username: "alice", password: WRONG },
        reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
      }),
    );
    const error = await failureOf(client);
    expect(error.failure?.kind).toBe("authentication");
  });

  it("a closed port: connection refused, transient", async () => {
    const port = await freePort();
    const client = track(
      new MeshClient({
        urls: [`amqp://127.0.0.1:${port}`],
        reconnect: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 2 },
      }),
    );
    const error = await failureOf(client);
    expect(error.failure).toMatchObject({ kind: "refused", final: false });
    expect(error.message).toMatch(
      new RegExp(
        `no AMQP router reachable after 3 attempt.*connection refused: nothing listens on 127\\.0\\.0\\.1:${port}`,
      ),
    );
  });

  it("a TLS listener whose CA the client does not trust: a certificate problem with the reason", async () => {
    const client = track(
      new MeshClient({
        urls: [tlsUrl],
        tls: { ca: otherCa.ca.toString("utf8") },
        sasl: { mechanism: "PLAIN", username: "alice", password: PASSWORD },
        reconnect: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 1 },
      }),
    );
    const error = await failureOf(client);
    expect(error.failure?.kind).toBe("tls");
    expect(error.message).toMatch(/TLS: certificate problem: .+\((?:[A-Z_]+)\)/);
    // The same listener with the right CA logs in.
    const trusted = track(
      new MeshClient({
        urls: [tlsUrl],
        tls: { ca: certs.ca.toString("utf8") },
        sasl: { mechanism: "PLAIN", username: "alice", password: PASSWORD },
      }),
    );
    await trusted.connect();
  });
});
