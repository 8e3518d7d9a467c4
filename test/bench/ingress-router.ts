/**
 * Child process of ingress.bench.ts: one router and the channel's consumer (the shared
 * client, accepting everything), so neither competes with the ingress's event loop. The
 * router is the emulator's (in this process) or, with INGRESS_BENCH_ROUTER=qdrouterd or
 * skrouterd, a real router process started for the run.
 *
 * Protocol (IPC): parent ← { url, router } once the consumer is attached; parent → { count: true }
 * ← { received }; parent → { cpu: true } ← { cpu } (process.cpuUsage()); parent → { stop: true }.
 */
import { MeshClient } from "../../shared/amqp/index.ts";
import { type MeshEngine, startTargetMesh, stopTargetMeshes } from "../support/target-mesh.ts";

const CHANNEL = "sales/orders";
const engine = (process.env.INGRESS_BENCH_ROUTER ?? "emulator") as MeshEngine;
const mesh = await startTargetMesh({ routers: [{ id: "r" }] }, engine);
const router = mesh.router("r");
const consumerClient = new MeshClient({ urls: [router.url] });
let received = 0;
const consumer = consumerClient.consume(
  CHANNEL,
  () => {
    received++;
  },
  { prefetch: 500, concurrency: 500 },
);
await consumer.ready();
await mesh.waitForAddress(CHANNEL, { router: "r" });

process.on("message", (raw: unknown) => {
  const msg = raw as { count?: boolean; cpu?: boolean; stop?: boolean };
  if (msg.count) process.send?.({ received });
  if (msg.cpu) process.send?.({ cpu: process.cpuUsage() });
  if (msg.stop)
    void consumerClient
      .close(200)
      .then(stopTargetMeshes)
      .then(() => process.exit(0));
});
process.on("disconnect", () => void stopTargetMeshes().then(() => process.exit(0)));
process.send?.({ url: router.url, router: engine });
