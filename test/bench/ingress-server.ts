/**
 * Child process of ingress.bench.ts: the servers under load, side by side in one process —
 * the ingress through its local adapter (example registry, API key, schema check, publish
 * at-least-once to the router given in argv); a minimal HTTP→AMQP proxy (node:http and raw
 * rhea on the same router: publish the body, answer 202 on `accepted`, no checks at all —
 * the limit of the ingress's architecture); and a bare node:http server answering 202 with a
 * body of the same shape. Only one of them is loaded at a time.
 *
 * Protocol (IPC): parent ← { ingressUrl, proxyUrl, bareUrl, apiKey }; parent → { cpu: true } ← { cpu }
 * (process.cpuUsage()); parent → { stop: true }.
 */
import { randomUUID } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import rhea, { type Delivery, type EventContext } from "rhea";
import { startLocalIngress } from "../../functions/node/ingress.ts";
import { MeshClient } from "../../shared/amqp/index.ts";
import { CallerAuthenticator, createIngress, newApiKey } from "../../shared/ingress/index.ts";
import { validateProject } from "../../shared/registry/index.ts";
import {
  DeployedRegistry,
  runtimeValidators,
  snapshotRegistry,
} from "../../shared/registry-snapshot/index.ts";

const routerUrl = process.argv[2] as string;
const { registry } = await validateProject("examples");
if (registry === undefined) throw new Error("examples: no registry");
const ingressRegistry = new DeployedRegistry(snapshotRegistry(registry));
const { key, entry } = newApiKey("sales-api");
const publisher = new MeshClient({ urls: [routerUrl] });
await publisher.connect();
const ingress = createIngress({
  registry: ingressRegistry,
  authenticator: new CallerAuthenticator(ingressRegistry, { apiKeys: [entry] }),
  validators: runtimeValidators(),
  publisher,
});
const local = await startLocalIngress(ingress);

const bare = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    const body = JSON.stringify({ messageId: randomUUID(), channel: "sales/orders" });
    response.writeHead(202, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
    });
    response.end(body);
  });
});
await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));

// The proxy: one raw rhea connection and sender; a body waits for credit in a FIFO queue.
const routerAddress = new URL(routerUrl);
const proxyConnection = rhea.create_container().connect({
  host: routerAddress.hostname,
  port: Number(routerAddress.port),
  reconnect: false,
  tcp_no_delay: true,
  idle_time_out: 60_000,
} as Parameters<ReturnType<typeof rhea.create_container>["connect"]>[0]);
const proxySender = proxyConnection.open_sender({ target: { address: "sales/orders" } });
await new Promise((resolve) => proxySender.once("sendable", resolve));
const waiting = new Map<Delivery, { response: ServerResponse; id: string }>();
const queued: Array<{ body: Buffer; response: ServerResponse }> = [];
const answer = (response: ServerResponse, status: number, id: string): void => {
  const body = JSON.stringify({ messageId: id, channel: "sales/orders" });
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  response.end(body);
};
const sendQueued = (): void => {
  while (queued.length > 0 && proxySender.sendable()) {
    const { body, response } = queued.shift() as { body: Buffer; response: ServerResponse };
    const id = randomUUID();
    const delivery = proxySender.send({
      message_id: id,
      content_type: "application/json",
      durable: true,
      body: rhea.message.data_section(body),
    });
    waiting.set(delivery, { response, id });
  }
};
proxySender.on("sendable", sendQueued);
const settle = (status: number) => (context: EventContext) => {
  const entry = waiting.get(context.delivery as Delivery);
  if (entry === undefined) return;
  waiting.delete(context.delivery as Delivery);
  answer(entry.response, status, entry.id);
};
proxySender.on("accepted", settle(202));
for (const outcome of ["rejected", "released", "modified"]) proxySender.on(outcome, settle(503));
const proxy = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    queued.push({ body: Buffer.concat(chunks), response });
    sendQueued();
  });
});
await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));

process.on("message", (raw: unknown) => {
  const msg = raw as { cpu?: boolean; stop?: boolean };
  if (msg.cpu) process.send?.({ cpu: process.cpuUsage() });
  if (msg.stop)
    void local
      .close()
      .then(() => publisher.close(200))
      .then(() => process.exit(0));
});
process.on("disconnect", () => process.exit(0));
process.send?.({
  ingressUrl: local.url,
  bareUrl: `http://127.0.0.1:${(bare.address() as AddressInfo).port}`,
  proxyUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
  apiKey: key,
});
