/**
 * A request sees one registry, never half of two: the ingress takes the live registry's
 * current release once, when the request comes in. A registry swapped while its body is
 * still arriving (a new schema for the channel) applies to the next request, not to this one.
 */
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MeshClient, type ReceivedMessage } from "../../../shared/amqp/index.ts";
import {
  bodyFromNodeStream,
  CallerAuthenticator,
  createIngress,
  type Ingress,
  newApiKey,
} from "../../../shared/ingress/index.ts";
import {
  DeployedRegistry,
  LiveRegistry,
  liveValidators,
  runtimeValidators,
  snapshotDigest,
} from "../../../shared/registry-snapshot/index.ts";
import { startTestMesh, stopAllMeshes } from "../../support/local-mesh.ts";
import { waitFor } from "../../support/wait.ts";
import { MemorySnapshotStore, withReturns } from "../../unit/registry-snapshot/live-support.ts";

const { key, entry } = newApiKey("sales-api");
/** The bundled registry: sales/returns requires orderId and reason. */
const bundled = withReturns();
/** The one published next: sales/returns requires refundId instead. */
const next = (() => {
  const channels = bundled.channels.map((c) =>
    c.address === "sales/returns"
      ? {
          ...c,
          schema: {
            type: "object",
            required: ["refundId"],
            properties: { refundId: { type: "string" } },
          },
        }
      : c,
  );
  const content = { teams: bundled.teams, channels };
  return { format: 1 as const, digest: snapshotDigest(content), ...content };
})();

let publisher: MeshClient;
let consumer: MeshClient;
let ingress: Ingress;
let live: LiveRegistry;
const store = new MemorySnapshotStore();
const received: ReceivedMessage[] = [];

beforeAll(async () => {
  const mesh = await startTestMesh({ routers: [{ id: "edge" }] });
  publisher = new MeshClient({ urls: [mesh.router("edge").url] });
  consumer = new MeshClient({ urls: [mesh.router("edge").url] });
  await consumer.consume("sales/returns", (m) => void received.push(m)).ready();
  const validators = runtimeValidators();
  live = new LiveRegistry({
    bundled: { snapshot: bundled, validators },
    store,
    validatorsFor: liveValidators({ snapshot: bundled, validators }),
  });
  const registry = new DeployedRegistry(bundled);
  ingress = createIngress({
    registry,
    authenticator: new CallerAuthenticator(registry, { apiKeys: [entry] }),
    validators,
    publisher,
    view: live,
  });
});
afterAll(async () => {
  live?.close();
  await publisher?.close(100);
  await consumer?.close(100);
  await stopAllMeshes();
});

/** A request whose body arrives in two parts; `between` runs after the first. */
async function postInTwoParts(id: string, text: string, between: () => Promise<void>) {
  const stream = new PassThrough();
  const response = ingress.handle({
    method: "POST",
    path: "/channels/sales%2Freturns/messages",
    headers: {
      "content-type": "application/json",
      "x-api-key": key,
      "idempotency-key": id,
      "content-length": String(Buffer.byteLength(text)),
    },
    body: bodyFromNodeStream(stream, String(Buffer.byteLength(text))),
  });
  const half = Math.floor(text.length / 2);
  stream.write(text.slice(0, half));
  await new Promise((r) => setTimeout(r, 20));
  await between();
  stream.end(text.slice(half));
  return response;
}

describe("the ingress over a live registry", () => {
  it("a registry swapped mid-request applies to the next request; the one under way keeps its own", async () => {
    const body = JSON.stringify({ refundId: "ref-1" });
    store.write(JSON.stringify(next));
    const first = await postInTwoParts("during-swap", body, async () => {
      expect((await live.refresh()).kind).toBe("swapped");
    });
    // Checked against the release it started with: its schema wants orderId and reason.
    expect(first.status, first.body).toBe(422);
    expect(first.body).toContain("/orderId");
    expect(first.body).toContain("/reason");
    expect(live.current().digest).toBe(next.digest);

    const second = await postInTwoParts("after-swap", body, async () => {});
    expect(second.status, second.body).toBe(202);
    await waitFor(() => received.some((m) => m.messageId === "sales-api/after-swap"));
    expect(received.map((m) => m.messageId)).toEqual(["sales-api/after-swap"]);
  });
});
