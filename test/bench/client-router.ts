/**
 * Child process of client.bench.ts: one router plus the far end of each benchmark (a raw
 * rhea sink that accepts everything, and a raw rhea producer filling an address on request),
 * so the benchmark process measures only the client side. The router is the emulator's (in
 * this process) or, with CLIENT_BENCH_ROUTER=qdrouterd|skrouterd, a real router process.
 *
 * Protocol (IPC): parent ← { url, router } once ready; parent → { produce: address, count } and
 * ← { produced: address } when all were accepted; parent → { stop: true }.
 */
import rhea, { type Connection } from "rhea";
import { type MeshEngine, startTargetMesh, stopTargetMeshes } from "../support/target-mesh.ts";

const SINK_ADDRESS = "bench/publish";
const BODY = rhea.message.data_section(Buffer.from(JSON.stringify({ n: 1, text: "x".repeat(80) })));

const engine = (process.env.CLIENT_BENCH_ROUTER ?? "emulator") as MeshEngine;
const mesh = await startTargetMesh({ routers: [{ id: "r" }] }, engine);
const router = mesh.router("r");

function connect(): Promise<Connection> {
  const container = rhea.create_container();
  container.on("error", () => {});
  container.on("disconnected", () => {});
  const connection = container.connect({
    host: "127.0.0.1",
    port: router.port,
    reconnect: false,
    tcp_no_delay: true,
  } as Parameters<typeof container.connect>[0]);
  return new Promise((resolve) => connection.once("connection_open", () => resolve(connection)));
}

// The sink: accepts every message published to SINK_ADDRESS, with a generous window.
const sink = await connect();
sink.open_receiver({ source: { address: SINK_ADDRESS }, credit_window: 1_000 });
await mesh.waitForAddress(SINK_ADDRESS, { router: "r" });

const producer = await connect();

function produce(address: string, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const link = producer.open_sender({ target: { address } });
    let sent = 0;
    let accepted = 0;
    const send = (): void => {
      while (sent < count && link.sendable()) {
        link.send({ body: BODY, message_id: `p-${sent}`, content_type: "application/json" });
        sent++;
      }
    };
    link.on("sendable", send);
    link.on("accepted", () => {
      accepted++;
      if (accepted === count) {
        link.close();
        resolve();
      }
    });
    for (const outcome of ["rejected", "released", "modified"]) {
      link.on(outcome, () => reject(new Error(`producer got ${outcome}`)));
    }
  });
}

process.on("message", (raw: unknown) => {
  const msg = raw as { produce?: string; count?: number; stop?: boolean };
  if (msg.stop) {
    sink.close();
    producer.close();
    void stopTargetMeshes().then(() => process.exit(0));
    return;
  }
  if (msg.produce !== undefined && msg.count !== undefined) {
    const address = msg.produce;
    void mesh
      .waitForAddress(address, { router: "r" })
      .then(() => produce(address, msg.count as number))
      .then(() => process.send?.({ produced: address }));
  }
});
// If the benchmark dies, do not linger.
process.on("disconnect", () => void stopTargetMeshes().then(() => process.exit(0)));
process.send?.({ url: router.url, router: engine });
