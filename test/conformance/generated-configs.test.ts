/**
 * The files a real router gets: the example project's configs are generated for both
 * flavours, rendered to both file formats, parsed back and started — on the emulator, or as
 * real router processes (MESH_TARGET engine, its own flavour; with a throwaway CA for the
 * mutual TLS between routers and a Cyrus sasldb of the users, as `amqp-mesh up --engine`
 * does). Then a channel is used across clouds with the policy's PLAIN users, a producer
 * outside its channels is refused, and management sees the generated entities by name.
 * The project is a copy on ports reserved for this file, and the example's own ports are
 * held by the test meanwhile, as a user's running platform (`npm start`) holds them.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeLocalCertificates } from "../../cli/local/certificates.ts";
import { withLocalFiles } from "../../cli/local/local-configs.ts";
import { startRealRouters } from "../../cli/local/real-routers.ts";
import { makeSaslDatabase } from "../../cli/local/sasl-database.ts";
import { startLocalMesh, startStandaloneRouter } from "../../emulator/index.ts";
import { validateProject } from "../../shared/registry/index.ts";
import type { RouterConfig } from "../../shared/router-config/index.ts";
import {
  generateRouterConfigs,
  parseConfFile,
  parseJsonFile,
  readRouterConfigFile,
  renderRouterFile,
} from "../../shared/router-config/index.ts";
import type { RouterFlavour, Topology } from "../../shared/topology/index.ts";
import { closeAllClients, connectClient } from "../support/amqp-client.ts";
import { type HeldPorts, holdExamplePorts } from "../support/example-ports.ts";
import { copyProject, type ProjectCopy } from "../support/generated-routers.ts";
import { deleteQueues, probeRabbitMq, RABBITMQ, requireRabbitMq } from "../support/rabbitmq.ts";
import { waitFor, waitForValue } from "../support/wait.ts";
import { engine, NEEDS_OWN_ROUTERS, startsRouters, targetFlavour } from "./target.ts";

const rabbit = await probeRabbitMq();
/**
 * This run's queue for billing/invoices (instead of the example's shared billing-invoices);
 * it ends as the address does, which a link route that strips and adds a prefix needs.
 */
const QUEUE_PREFIX = `amqp-mesh-generated-${process.pid}-${Date.now().toString(36)}`;
const QUEUE = `${QUEUE_PREFIX}-invoices`;
// The generated broker connector reads the password from RABBIT_PASSWORD, as real routers do.
process.env.RABBIT_PASSWORD ??= RABBITMQ.password;

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

interface StartedRouters {
  url(routerId: string): string;
  stop(): Promise<void>;
}

/** Starts `configs` on the target's engine: the emulator, or real processes with local files. */
async function startConfigs(configs: RouterConfig[], topology: Topology): Promise<StartedRouters> {
  if (engine === "emulator" || engine === undefined) {
    const mesh =
      configs.length === 1
        ? await startStandaloneRouter(configs[0]!, { users })
        : await startLocalMesh({ topology, configs, ports: "ephemeral", users });
    return { url: (id) => mesh.router(id).url, stop: () => mesh.stop() };
  }
  const dir = await mkdtemp(join(tmpdir(), `amqp-mesh-generated-${engine}-`));
  const certificates = await makeLocalCertificates(join(dir, "tls"), topology.routers);
  const sasl = await makeSaslDatabase(join(dir, "sasl"), users);
  const local = configs.map((c) => withLocalFiles(c, { certificates, sasl }));
  const routers = await startRealRouters(engine, local, join(dir, "routers"));
  return {
    url: (id) => routers.url(id),
    stop: async () => {
      await routers.stop();
      // KEEP_ROUTER_LOGS=1 keeps the routers' configs and logs for a look after the run.
      if (process.env.KEEP_ROUTER_LOGS === "1") console.error(`router configs and logs: ${dir}`);
      else await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `attach()` again while the router refuses it with qd:no-route-to-dest (its broker connection
 * is not up yet), for at most `timeoutMs`; any other failure, or the last refusal, is thrown.
 */
async function attachWhenRouted<T>(attach: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attach();
    } catch (error) {
      if (!/no-route-to-dest/.test(String(error)) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** The flavours to run: both on the emulator, the engine's own on real routers. */
const RUNS: Array<[RouterFlavour, "conf" | "json"]> = (
  [
    ["qpid-dispatch", "conf"],
    ["skupper-router", "json"],
  ] as Array<[RouterFlavour, "conf" | "json"]>
).filter(([flavour]) => engine === "emulator" || flavour === targetFlavour);

describe.skipIf(!startsRouters)(`generated router configs — ${NEEDS_OWN_ROUTERS}`, () => {
  const started: StartedRouters[] = [];
  let example: HeldPorts;
  let copy: ProjectCopy;

  beforeAll(async () => {
    example = await holdExamplePorts();
    copy = await copyProject("examples");
    // billing/invoices on a queue of this run's own: the example's billing-invoices is shared
    // by every mesh on this machine's RabbitMQ (another run's consumer took this run's
    // invoice, and this run's invoice reached another suite's consumer: both seen).
    const billing = join(copy.dir, "registry", "billing.yaml");
    writeFileSync(
      billing,
      readFileSync(billing, "utf8").replace("queue: billing-invoices", `queue: ${QUEUE}`),
    );
    const project = await validateProject(copy.dir);
    if (!project.topology || !project.registry) throw new Error("examples/ must be valid");
    topology = project.topology;
    registry = project.registry;
  });
  afterEach(closeAllClients);
  afterAll(async () => {
    await deleteQueues(QUEUE_PREFIX);
    for (const mesh of started) await mesh.stop();
    await copy?.cleanup();
    await example?.release();
  });

  for (const [flavour, format] of RUNS) {
    it(`starts every router of the example (${flavour}, .${format}) and carries a channel across clouds`, async () => {
      const { configs } = generateRouterConfigs(registry, topology, {
        flavour,
        managementPrincipals: ["config-sync"],
      });
      const mesh = await startConfigs(throughFiles(configs, format), { ...topology, flavour });
      started.push(mesh);

      const consumer = await connectClient(mesh.url("azure-we-edge-2"), {
        username: "billing-worker",
        password: "billing-secret",
      });
      const receiver = await consumer.receiver("sales/orders");
      expect(receiver.isDetached).toBe(false);
      const producer = await connectClient(mesh.url("aws-eu-edge-1"), {
        username: "sales-api",
        password: "sales-secret",
      });
      const sender = await producer.sender("sales/orders");
      // Credit comes once the mesh knows the consumer across the clouds.
      await sender.waitForCredit(1, 20_000);
      // Released is the router's "not delivered, send again": credit can come from the edge
      // before every interior on the way knows the consumer (seen on a loaded machine with
      // qdrouterd). A client sends again; so does this check, for a bounded time.
      const outcome = await waitForValue(
        async () => {
          const sent = await sender.sendAndWait({ body: '{"orderId":"ord-1"}' });
          return sent.outcome === "released" ? undefined : sent.outcome;
        },
        { timeout: 15_000, interval: 200, what: "an outcome other than released" },
      );
      expect(outcome).toBe("accepted");
      expect((await receiver.next()).message.body).toBe('{"orderId":"ord-1"}');

      // The policy: sales may not produce to billing's dead-letter channel.
      const refused = await producer.sender("billing/invoices.dead");
      expect(await refused.detached).toMatchObject({ condition: "amqp:unauthorized-access" });

      // Management sees the generated entities by their generated names.
      const sync = await connectClient(mesh.url("aws-eu-interior-1"), {
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

      // The broker channel: link-routed (qpid-dispatch) to the RabbitMQ queue on one cloud,
      // taken from it on the other. skupper-router's autoLinks and queue outlet are checked
      // in broker-channel.test.ts (with a queue of that run's own).
      if (flavour !== "qpid-dispatch") return;
      requireRabbitMq(rabbit);
      const run = `generated-${process.pid}-${Date.now()}`;
      const billingAt = (router: string) =>
        connectClient(mesh.url(router), { username: "billing-worker", password: "billing-secret" });
      // A link-routed attach is refused (qd:no-route-to-dest) until a router on the way has its
      // broker connection up — qdrouterd does the same. The mesh is used the moment it
      // started, while the interiors may still be logging in to RabbitMQ: attach again, as a
      // client does, for a bounded time (a refusal after that fails with its reason).
      // The consumer first: RabbitMQ 3.10 declares a /queue/ name when a receiver attaches.
      const consumerAt = await billingAt("azure-we-edge-2");
      const queue = await attachWhenRouted(async () => {
        const receiver = await consumerAt.receiver("billing/invoices");
        // Refused: the router answers with a null source, then detaches.
        if (receiver.remoteAddress === undefined)
          throw new Error(`refused: ${JSON.stringify(await receiver.detached)}`);
        return receiver;
      });
      const producerAt = await billingAt("aws-eu-edge-1");
      const invoices = await attachWhenRouted(async () => {
        const sender = await producerAt.sender("billing/invoices");
        await sender.waitForCredit(1, 20_000);
        return sender;
      });
      expect((await invoices.sendAndWait({ body: "{}", message_id: run }, 10_000)).outcome).toBe(
        "accepted",
      );
      // Earlier runs may have left invoices in the queue: skipped until this run's.
      await waitFor(() => queue.messages.some((m) => m.message.message_id === run), {
        what: "the invoice to come out of RabbitMQ on the other cloud",
        timeout: 15_000,
      });
    }, 120_000);
  }

  it("loads a router config file (.json and .conf) and runs it standalone", async () => {
    // The meshes above hold the copy's ports (aws-eu-edge-1's too) until stopped: before the
    // port check at start, a real router started here came up without its listener and the
    // client reached the old mesh's edge router instead.
    for (const mesh of started.splice(0)) await mesh.stop();
    const { configs } = generateRouterConfigs(registry, topology, { flavour: targetFlavour });
    const edge = configs.find((c) => c.routerId === "aws-eu-edge-1")!;
    const dir = mkdtempSync(join(tmpdir(), "amqp-mesh-config-"));
    try {
      for (const format of ["json", "conf"] as const) {
        const file = join(dir, `aws-eu-edge-1.${format}`);
        writeFileSync(file, renderRouterFile(edge, format));
        const config = await readRouterConfigFile(file);
        const mesh = await startConfigs([config], topology);
        started.push(mesh);
        const client = await connectClient(mesh.url("aws-eu-edge-1"), {
          username: "sales-api",
          password: "sales-secret",
        });
        const receiver = await client.receiver({ dynamic: true });
        // An edge router's dynamic addresses are under _edge/<id> (both real routers).
        expect(receiver.remoteAddress).toMatch(/^amqp:\/_edge\/aws-eu-edge-1\/temp\./);
        await client.close();
        await mesh.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
