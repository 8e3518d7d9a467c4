/**
 * The local platform's HTTP ingress on the example mesh (generated configs, vhost policies,
 * PLAIN users; ephemeral ports so it can run beside the `up` test): a POST on the AWS side
 * reaches a consumer on an Azure edge router; a principal that is not a producer gets 403.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IngressPlatform, startPlatformIngress } from "../../cli/local/platform-ingress.ts";
import { type LocalMesh, startLocalMesh } from "../../emulator/index.ts";
import { MeshClient, type ReceivedMessage } from "../../shared/amqp/index.ts";
import { validateProject } from "../../shared/registry/index.ts";
import { generateRouterConfigs } from "../../shared/router-config/index.ts";
import { waitFor } from "../support/wait.ts";

const out = join(process.cwd(), ".tmp", "local-ingress");
let mesh: LocalMesh;
let ingress: Awaited<ReturnType<typeof startPlatformIngress>>;
let consumerClient: MeshClient;
const received: ReceivedMessage[] = [];

beforeAll(async () => {
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const { topology, registry, diagnostics } = await validateProject("examples");
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const users = new Map<string, string>();
  for (const team of registry!.teams)
    for (const p of team.principals) users.set(p, randomBytes(8).toString("hex"));
  const { configs } = generateRouterConfigs(registry!, topology!);
  mesh = await startLocalMesh({ topology: topology!, configs, users });
  const platform: IngressPlatform = {
    project: { dir: "examples", topology: topology!, registry: registry!, diagnostics },
    routers: {
      engine: "emulator",
      routers: Object.values(mesh.routers).map((r) => ({ id: r.id, mode: r.mode, url: r.url })),
      url: (id) => mesh.router(id).url,
      stop: () => mesh.stop(),
    },
    users,
    usersFile: join(out, "local-users.json"),
  };
  ingress = await startPlatformIngress(platform);
  consumerClient = new MeshClient({
    urls: [mesh.router("azure-we-edge-2").url],
    sasl: {
      mechanism: "PLAIN",
      username: "logistics-tracker",
      password: users.get("logistics-tracker")!,
    },
  });
  await consumerClient.consume("sales/orders", (m) => void received.push(m)).ready();
  await mesh.waitForAddress("sales/orders", { router: "aws-eu-edge-1", timeout: 10_000 });
});

afterAll(async () => {
  await ingress?.close();
  await consumerClient?.close(200);
  await mesh?.stop();
  await rm(out, { recursive: true, force: true });
});

describe("the local platform's HTTP ingress", () => {
  it("publishes a POST as the caller, across clouds, after the routers' policy let it", async () => {
    const { keys } = JSON.parse(await readFile(ingress.keysFile, "utf8")) as {
      keys: Record<string, string>;
    };
    expect((await stat(ingress.keysFile)).mode & 0o777).toBe(0o600);
    expect(ingress.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const order = { orderId: "ord-77", customerId: "c", lines: [{ sku: "s", quantity: 1 }] };
    const post = (principal: string) =>
      fetch(`${ingress.url}/channels/sales.orders/messages`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-api-key": keys[principal]!,
          "idempotency-key": `up-${principal}`,
        },
        body: JSON.stringify(order),
      });
    const accepted = await post("sales-api");
    expect(accepted.status, await accepted.clone().text()).toBe(202);
    await waitFor(() => received.some((m) => m.messageId === "sales-api/up-sales-api"), {
      timeout: 10_000,
    });
    expect(received.find((m) => m.messageId === "sales-api/up-sales-api")?.body).toEqual(order);
    const refused = await post("logistics-tracker");
    expect(refused.status).toBe(403);
  });
});
