/**
 * The emulator runs the files a real router would get: the example project's configs are
 * generated for both flavours, rendered to both file formats, parsed back and started.
 * Then a channel is used across clouds with the policy's PLAIN users, a producer outside
 * its channels is refused, and management sees the generated entities by their names.
 * Emulator only: it starts routers from generated configs itself.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LocalMesh, startLocalMesh, startStandaloneRouter } from "../../emulator/index.ts";
import { validateProject } from "../../shared/registry/index.ts";
import {
  generateRouterConfigs,
  parseConfFile,
  parseJsonFile,
  readRouterConfigFile,
  renderRouterFile,
} from "../../shared/router-config/index.ts";
import type { RouterConfig } from "../../shared/router-config/model.ts";
import type { Topology } from "../../shared/topology/schema.ts";
import { closeAllClients, connectClient } from "../support/amqp-client.ts";
import { NEEDS_EMULATOR, onEmulator } from "./target.ts";

const users = new Map([
  ["sales-api", "sales-secret"],
  ["billing-worker", "billing-secret"],
  ["config-sync", "sync-secret"],
]);

let topology: Topology;
let registry: NonNullable<Awaited<ReturnType<typeof validateProject>>["registry"]>;

function throughFiles(configs: RouterConfig[], format: "json" | "conf"): RouterConfig[] {
  return configs.map((c) => {
    const text = renderRouterFile(c, format);
    return format === "json"
      ? parseJsonFile(text, { flavour: c.flavour })
      : parseConfFile(text, { flavour: c.flavour });
  });
}

describe.skipIf(!onEmulator)(`generated router configs — ${NEEDS_EMULATOR}`, () => {
  const started: LocalMesh[] = [];

  beforeAll(async () => {
    const project = await validateProject("examples");
    if (!project.topology || !project.registry) throw new Error("examples/ must be valid");
    topology = project.topology;
    registry = project.registry;
  });
  afterEach(closeAllClients);
  afterAll(async () => {
    for (const mesh of started) await mesh.stop();
  });

  for (const [flavour, format] of [
    ["qpid-dispatch", "conf"],
    ["skupper-router", "json"],
  ] as const) {
    it(`starts every router of the example (${flavour}, .${format}) and carries a channel across clouds`, async () => {
      const { configs } = generateRouterConfigs(registry, topology, {
        flavour,
        managementPrincipals: ["config-sync"],
      });
      const mesh = await startLocalMesh({
        topology: { ...topology, flavour },
        configs: throughFiles(configs, format),
        ports: "ephemeral",
        users,
      });
      started.push(mesh);
      expect(Object.values(mesh.routers).every((r) => r.running)).toBe(true);

      const consumer = await connectClient(mesh.router("azure-we-edge-2").url, {
        username: "billing-worker",
        password: "billing-secret",
      });
      const receiver = await consumer.receiver("sales/orders");
      expect(receiver.isDetached).toBe(false);
      await mesh.waitForAddress("sales/orders", { router: "aws-eu-edge-1", consumers: 1 });
      const producer = await connectClient(mesh.router("aws-eu-edge-1").url, {
        username: "sales-api",
        password: "sales-secret",
      });
      const sender = await producer.sender("sales/orders");
      await sender.waitForCredit();
      expect((await sender.sendAndWait({ body: '{"orderId":"ord-1"}' })).outcome).toBe("accepted");
      expect((await receiver.next()).message.body).toBe('{"orderId":"ord-1"}');

      // The policy: sales may not produce to billing's dead-letter channel.
      const refused = await producer.sender("billing/invoices.dead");
      expect(await refused.detached).toMatchObject({ condition: "amqp:unauthorized-access" });

      // Management sees the generated entities by their generated names.
      const sync = await connectClient(mesh.router("aws-eu-interior-1").url, {
        username: "config-sync",
        password: "sync-secret",
      });
      const prefix =
        flavour === "skupper-router" ? "io.skupper.router" : "org.apache.qpid.dispatch";
      const query = await sync.management(
        {
          operation: "QUERY",
          type: "org.amqp.management",
          entityType: `${prefix}.router.config.address`,
        },
        { attributeNames: ["name", "prefix", "distribution"] },
      );
      expect(query.statusCode).toBe(200);
      const rows = (query.body as { results: string[][] }).results;
      expect(rows.map((r) => r[1])).toContain("sales/orders");
    });
  }

  it("loads a router config file (.json and .conf) and runs it standalone", async () => {
    const { configs } = generateRouterConfigs(registry, topology, {});
    const edge = configs.find((c) => c.routerId === "aws-eu-edge-1")!;
    const dir = mkdtempSync(join(tmpdir(), "amqp-mesh-config-"));
    try {
      for (const format of ["json", "conf"] as const) {
        const file = join(dir, `aws-eu-edge-1.${format}`);
        writeFileSync(file, renderRouterFile(edge, format));
        const config = await readRouterConfigFile(file);
        const mesh = await startStandaloneRouter(config, { users });
        started.push(mesh);
        const client = await connectClient(mesh.router("aws-eu-edge-1").url, {
          username: "sales-api",
          password: "sales-secret",
        });
        const receiver = await client.receiver({ dynamic: true });
        expect(receiver.remoteAddress).toMatch(/^amqp:\/_topo\/0\/aws-eu-edge-1\/temp\./);
        await client.close();
        await mesh.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
