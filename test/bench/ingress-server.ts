/**
 * Child process of ingress.bench.ts: the servers under load, side by side in one process —
 * the ingress through its local adapter (example registry, API key, schema check, publish
 * at-least-once to the router given in argv) and a bare node:http server answering 202 with
 * a body of the same shape. Only one of them is loaded at a time.
 *
 * Protocol (IPC): parent ← { ingressUrl, bareUrl, apiKey }; parent → { cpu: true } ← { cpu }
 * (process.cpuUsage()); parent → { stop: true }.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { MeshClient } from "../../shared/amqp/index.ts";
import {
  CallerAuthenticator,
  createIngress,
  newApiKey,
  startLocalIngress,
} from "../../shared/ingress/index.ts";
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
  apiKey: key,
});
