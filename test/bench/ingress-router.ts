/**
 * Child process of ingress.bench.ts: one emulated router and the channel's consumer (the
 * shared client, accepting everything), so neither competes with the ingress's event loop.
 *
 * Protocol (IPC): parent ← { url } once the consumer is attached; parent → { count: true }
 * ← { received }; parent → { cpu: true } ← { cpu } (process.cpuUsage()); parent → { stop: true }.
 */
import { MeshClient } from "../../shared/amqp/index.ts";
import { startTestMesh, stopAllMeshes } from "../support/local-mesh.ts";

const CHANNEL = "sales/orders";
const mesh = await startTestMesh({ routers: [{ id: "r" }] });
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
      .then(stopAllMeshes)
      .then(() => process.exit(0));
});
process.on("disconnect", () => process.exit(0));
process.send?.({ url: router.url });
