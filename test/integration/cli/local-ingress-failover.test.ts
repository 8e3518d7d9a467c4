/**
 * The local platform's HTTP ingress knows its environment's edge routers as a failover list,
 * as the clouds' ingress does: on the example mesh (emulator, ephemeral ports), with the first
 * edge router of the list stopped, a POST is still accepted (202), through the next one, and
 * reaches its consumer in the other cloud.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingressRouters, startPlatformIngress } from "../../../cli/local/platform-ingress.ts";
import { type LocalMesh, startLocalMesh } from "../../../emulator/index.ts";
import { MeshClient, type ReceivedMessage } from "../../../shared/amqp/index.ts";
import { validateProject } from "../../../shared/registry/index.ts";
import { generateRouterConfigs } from "../../../shared/router-config/index.ts";
import type { Topology } from "../../../shared/topology/index.ts";
import { waitFor } from "../../support/wait.ts";
import { EXAMPLES } from "./copy-examples.ts";

let out: string;
let mesh: LocalMesh;
let topology: Topology;
let ingress: Awaited<ReturnType<typeof startPlatformIngress>>;
let consumer: MeshClient;
const received: ReceivedMessage[] = [];

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "ingress-failover-"));
  const project = await validateProject(EXAMPLES);
  const { registry, diagnostics } = project;
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  topology = project.topology!;
  const users = new Map<string, string>();
  for (const team of registry!.teams)
    for (const p of team.principals) users.set(p, randomBytes(8).toString("hex"));
  const { configs } = generateRouterConfigs(registry!, topology);
  mesh = await startLocalMesh({ topology: topology, configs, users });
  ingress = await startPlatformIngress({
    project: { dir: EXAMPLES, topology: topology, registry: registry!, diagnostics },
    routers: {
      engine: "emulator",
      routers: Object.values(mesh.routers).map((r) => ({ id: r.id, mode: r.mode, url: r.url })),
      url: (id) => mesh.router(id).url,
      stop: () => mesh.stop(),
    },
    users,
    usersFile: join(out, "local-users.json"),
  });
  consumer = new MeshClient({
    urls: [mesh.router("azure-we-edge-2").url],
    sasl: {
      mechanism: "PLAIN",
      username: "logistics-tracker",
      password: users.get("logistics-tracker")!,
    },
  });
  await consumer.consume("sales/orders", (m) => void received.push(m)).ready();
  for (const edge of ["aws-eu-edge-1", "aws-eu-edge-2"])
    await mesh.waitForAddress("sales/orders", { router: edge, timeout: 10_000 });
}, 60_000);

afterAll(async () => {
  await ingress?.close();
  await consumer?.close(200);
  await mesh?.stop();
  await rm(out, { recursive: true, force: true });
});

async function post(messageId: string): Promise<Response> {
  const { keys } = JSON.parse(await readFile(ingress.keysFile, "utf8")) as {
    keys: Record<string, string>;
  };
  return fetch(`${ingress.url}/channels/sales.orders/messages`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-api-key": keys["sales-api"]!,
      "idempotency-key": messageId,
    },
    body: JSON.stringify({
      orderId: `ord-${Date.now()}`,
      customerId: "c",
      lines: [{ sku: "s", quantity: 1 }],
    }),
  });
}

describe("the local ingress's edge routers", () => {
  it("are the first environment's edge routers, in the topology's order", () => {
    expect(ingressRouters(topology)).toEqual(["aws-eu-edge-1", "aws-eu-edge-2"]);
  });

  it("with the first one stopped, a POST is accepted through the next and delivered", async () => {
    const before = await post("failover-before");
    expect(before.status, await before.clone().text()).toBe(202);
    await mesh.router("aws-eu-edge-1").stop();
    const after = await post("failover-after");
    expect(after.status, await after.clone().text()).toBe(202);
    await waitFor(() => received.some((m) => m.messageId === "sales-api/failover-after"), {
      timeout: 10_000,
      what: "the message posted after the first edge router stopped",
    });
  }, 60_000);
});
