/**
 * The emulator's own lifecycle: `mesh.stop()` leaves nothing behind that keeps a process
 * alive — no listening server, accepted socket, broker connection or timer. A process that
 * started a mesh must be able to exit by itself once it stopped it.
 *
 * Checked by counting the process's active resources (`process.getActiveResourcesInfo()`)
 * of the kinds a mesh creates, before the mesh starts and after it stopped (polled, bounded:
 * closing handles leave the list on a later turn of the event loop). Emulator only: a real
 * router network has no `stop()` in this process.
 */
import { spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { LocalMesh } from "../../../emulator/index.ts";
import type { RouterEntity } from "../../../shared/router-config/index.ts";
import { closeAllClients, connectClient } from "../../support/amqp-client.ts";
import { startTestMesh } from "../../support/local-mesh.ts";
import { IN_CI, probeRabbitMq, rabbitConnector, requireRabbitMq } from "../../support/rabbitmq.ts";
import {
  makeTestCertificates,
  opensslAvailable,
  type TestCertificates,
} from "../../support/tls-certs.ts";
import { waitFor } from "../../support/wait.ts";

/** Resource kinds a mesh may create: servers, sockets, connects in progress, timers. */
const KINDS = ["TCPServerWrap", "TCPSocketWrap", "TCPWrap", "TLSWrap", "ConnectWrap", "Timeout"];

function counts(): Map<string, number> {
  const result = new Map<string, number>(KINDS.map((k) => [k, 0]));
  for (const kind of process.getActiveResourcesInfo()) {
    if (result.has(kind)) result.set(kind, (result.get(kind) ?? 0) + 1);
  }
  return result;
}

function leftOver(before: Map<string, number>): string[] {
  const now = counts();
  return KINDS.filter((k) => (now.get(k) ?? 0) > (before.get(k) ?? 0)).map(
    (k) => `${k}: ${before.get(k)} before, ${now.get(k)} now`,
  );
}

/** A raw TCP client that connects and then says nothing (a half-open peer). */
function silentPeer(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

const rabbit = await probeRabbitMq();
const hasOpenssl = opensslAvailable();

describe("stop() leaves no handles", () => {
  const peers: Socket[] = [];
  let certs: TestCertificates | undefined;
  afterEach(() => {
    for (const p of peers) p.destroy();
    peers.length = 0;
    certs?.remove();
  });

  it("closes listeners, accepted sockets, retired listeners' connections, broker connections and timers", async () => {
    // Under CI the broker connection and the TLS listener are part of the check, never
    // dropped: a missing RabbitMQ or openssl fails it with the reason.
    if (IN_CI) {
      requireRabbitMq(rabbit);
      if (!hasOpenssl)
        throw new Error("openssl is not on PATH: the TLS part of this check needs it");
    }
    const before = counts();
    // A connector to a closed port keeps a reconnect timer armed; one to RabbitMQ (when it
    // runs here) holds an open broker connection.
    const connectors: RouterEntity[] = [
      {
        type: "connector",
        attributes: { name: "refused", host: "127.0.0.1", port: "1", role: "route-container" },
      },
    ];
    if (rabbit.reachable) {
      connectors.push(rabbitConnector());
    }
    // A TLS listener (when openssl can make certificates): its sockets are TLS over TCP.
    certs = hasOpenssl ? await makeTestCertificates() : undefined;
    const tls: RouterEntity[] = certs
      ? [
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
              saslMechanisms: "ANONYMOUS",
            },
          },
        ]
      : [];
    const mesh: LocalMesh = await startTestMesh({
      routers: [{ id: "a" }, { id: "b" }, { id: "e", mode: "edge", uplinks: ["a"] }],
      links: [["a", "b", 1]],
      entities: { a: connectors, b: tls },
    });
    if (rabbit.reachable) await mesh.waitForConnector("a", "rabbit", { timeout: 5_000 });

    // Clients of every kind: AMQP clients, a silent peer, and a connection that outlives
    // the listener it came through (deleted over management).
    const admin = await connectClient(mesh.router("a").url);
    await connectClient(mesh.router("e").url);
    peers.push(await silentPeer(mesh.router("b").port));
    if (certs) {
      const listener = mesh.router("b").router.listeners.find((l) => l.tls);
      if (!listener) throw new Error("router b has no TLS listener");
      await connectClient(listener.url, { tls: { ca: certs.ca, servername: "localhost" } });
      peers.push(await silentPeer(listener.port)); // never completes its handshake
    }
    const type = "org.apache.qpid.dispatch.listener";
    const created = await admin.management(
      { operation: "CREATE", type, name: "extra" },
      { host: "127.0.0.1", port: "0", role: "normal", saslMechanisms: "ANONYMOUS" },
    );
    expect(created.statusCode).toBe(201);
    const port = Number((created.body as Record<string, unknown>).port);
    await connectClient(`amqp://127.0.0.1:${port}`);
    expect((await admin.management({ operation: "DELETE", type, name: "extra" })).statusCode).toBe(
      204,
    );
    // A stopped and restarted router too (its listeners, TLS included, open again).
    await mesh.router("b").stop();
    await mesh.router("b").start();

    await mesh.stop();
    // Clients see their connections drop; close what is left on the client side.
    await closeAllClients();
    for (const p of peers) p.destroy();
    await waitFor(() => leftOver(before).length === 0, {
      timeout: 2_000,
      what: "the mesh's handles to close",
    }).catch(() => {
      throw new Error(`handles left after stop(): ${leftOver(before).join("; ")}`);
    });
  });
});

describe("a process exits after stop()", () => {
  it("a process that started and stopped a mesh exits by itself", async () => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL("../../support/stopped-mesh-child.ts", import.meta.url))],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    // Start-up takes a moment on a busy machine; after "stopped" it must be quick.
    await waitFor(() => output.includes("stopped") || child.exitCode !== null, {
      timeout: 15_000,
      what: "the child to start and stop its mesh",
    });
    const stoppedAt = Date.now();
    try {
      await waitFor(() => child.exitCode !== null, {
        timeout: 3_000,
        what: "the child process to exit by itself after mesh.stop()",
      });
    } finally {
      if (child.exitCode === null) child.kill();
    }
    expect(await exited).toBe(0);
    expect(output).toContain("stopped");
    expect(Date.now() - stoppedAt).toBeLessThan(3_000);
  }, 30_000);
});
