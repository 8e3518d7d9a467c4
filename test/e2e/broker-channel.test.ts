/**
 * The example's broker channel end to end, on both router flavours: the generated configs
 * (qdrouterd's link routes; skupper-router's out autoLink into the queue and in autoLink onto
 * the queue's outlet), routers started from them, the real RabbitMQ queue. A message
 * published while no consumer runs is accepted by the broker, survives there, and comes out
 * in another cloud — to the platform's client consuming `billing/invoices` by its name, and
 * to a channel bridge running an in-process function, which settles it once (the queue holds
 * nothing after).
 *
 * Both flavours on the emulator; TRIGGER_TARGET=qdrouterd|skrouterd runs the engine's own on
 * real router processes. Each flavour gets a copy of the example with a queue of this run's
 * own (copyExampleWithQueue), so no other run competes for its messages.
 *
 * What this assumes about qdrouterd 1.19 (read in apache/qpid-dispatch; the conformance suite
 * runs it): an attach is link-routed where the ingress router's link-route table has the
 * pattern (an edge router asks its interior, src/router_core/modules/address_lookup_server)
 * and travels to a router whose link route has the broker connection; only that router
 * rewrites the address to the queue's (`qdr_forward_link_balanced_CT`, forwarder.c). Until the
 * broker connection is up an attach is refused with `qd:no-route-to-dest`, so publishing
 * waits for credit first (polling, bounded).
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { engineFlavour } from "../../cli/local/engine.ts";
import { MeshClient, type ReceivedMessage } from "../../shared/amqp/index.ts";
import { validateProject } from "../../shared/registry/index.ts";
import { consumerAddresses } from "../../shared/router-config/index.ts";
import type { RouterFlavour } from "../../shared/topology/index.ts";
import {
  type BatchItemFailure,
  ChannelBridge,
  catalogOfRegistry,
  channelPublisher,
  defineChannelHandler,
  inProcessInvoker,
} from "../../shared/trigger/index.ts";
import { TRIGGER_TARGET } from "../integration/trigger/harness.ts";
import { connectClient } from "../support/amqp-client.ts";
import {
  copyExampleWithQueue,
  type GeneratedRouters,
  type ProjectCopy,
  startGeneratedRouters,
  waitForEdgeUplinks,
} from "../support/generated-routers.ts";
import {
  deleteQueues,
  IN_CI,
  probeRabbitMq,
  RABBITMQ,
  requireRabbitMq,
} from "../support/rabbitmq.ts";
import { waitFor, waitForValue } from "../support/wait.ts";

const rabbit = await probeRabbitMq();
// The generated broker connector reads the password from RABBIT_PASSWORD, as real routers do.
process.env.RABBIT_PASSWORD ??= RABBITMQ.password;
const FLAVOURS: RouterFlavour[] =
  TRIGGER_TARGET === "emulator"
    ? ["qpid-dispatch", "skupper-router"]
    : [engineFlavour(TRIGGER_TARGET)];
const USERS = new Map([
  ["billing-worker", "local-test-password"],
  ["sales-api", "local-test-password"],
  ["config-sync", "local-test-password"],
]);
const ROUTERS = ["aws-eu-interior-1", "aws-eu-edge-1", "azure-we-interior-1", "azure-we-edge-1"];
const QUEUE_PREFIX = `amqp-mesh-e2e-${process.pid}-${Date.now().toString(36)}`;

type Invoice = {
  invoiceId: string;
  orderId: string;
  amount: number;
  currency: string;
};

const invoice = (invoiceId: string): Invoice => ({
  invoiceId,
  orderId: "ord-1",
  amount: 12.5,
  currency: "EUR",
});

describe.skipIf(!rabbit.reachable && !IN_CI)(
  `broker channel billing/invoices through RabbitMQ (${rabbit.reason || "reachable"})`,
  () => {
    afterAll(() => deleteQueues(QUEUE_PREFIX));

    for (const flavour of FLAVOURS) {
      describe(`${flavour} on ${TRIGGER_TARGET}`, () => {
        let copy: ProjectCopy;
        let routers: GeneratedRouters;
        let registry: NonNullable<Awaited<ReturnType<typeof validateProject>>["registry"]>;
        const clients: MeshClient[] = [];
        const bridges: ChannelBridge[] = [];
        /** The platform's client for a principal at a router: a broker channel by its name. */
        const client = (router: string, principal = "billing-worker") => {
          const c = new MeshClient({
            urls: [routers.url(router)],
            sasl: { mechanism: "PLAIN", username: principal, password: USERS.get(principal)! },
            reconnect: { initialDelayMs: 50, maxDelayMs: 500, maxAttempts: 5 },
            consumerAddresses: consumerAddresses(registry, flavour),
          });
          clients.push(c);
          return c;
        };

        /**
         * Consumes the channel at `router` until the message `messageId` arrives, then stops:
         * consumers of one queue compete, so none may outlive its check.
         */
        const receive = async (router: string, messageId: string): Promise<ReceivedMessage> => {
          let found: (message: ReceivedMessage) => void = () => {};
          const arrived = new Promise<ReceivedMessage>((resolve) => {
            found = resolve;
          });
          const consumer = client(router).consume(
            "billing/invoices",
            (message) => {
              if (message.messageId === messageId) found(message);
            },
            // RabbitMQ 3.x ends the session a drain reaches (link-routed on qdrouterd).
            { prefetch: 10, drainOnStop: false },
          );
          try {
            return await arrived;
          } finally {
            await consumer.stop(1_000);
          }
        };

        /** Published by sales at `router`; resolves once the broker accepted it. */
        const publish = (router: string, messageId: string) =>
          client(router, "sales-api").publish(
            "billing/invoices",
            { body: invoice(messageId), messageId },
            // Until the broker route is known a publish gets no credit (or no route): it waits.
            { deadline: 20_000 },
          );

        const brokerRouteKnown = async (router: string): Promise<void> => {
          const probe = await connectClient(routers.url(router), {
            username: "sales-api",
            password: USERS.get("sales-api")!,
          });
          try {
            await waitForValue(
              async () => {
                const sender = await probe.sender("billing/invoices");
                const credited = await sender
                  .waitForCredit(1, 3_000)
                  .then(() => true)
                  .catch(() => false);
                await sender.close();
                return credited;
              },
              { timeout: 30_000, interval: 200, what: `the broker route to be known at ${router}` },
            );
          } finally {
            await probe.close();
          }
        };

        beforeAll(async () => {
          requireRabbitMq(rabbit);
          copy = await copyExampleWithQueue(`${QUEUE_PREFIX}-${flavour}-invoices`);
          const project = await validateProject(copy.dir);
          expect(project.diagnostics).toEqual([]);
          registry = project.registry!;
          routers = await startGeneratedRouters(copy.dir, {
            engine: TRIGGER_TARGET,
            users: USERS,
            managementPrincipals: ["config-sync"],
            flavour,
            only: ROUTERS,
          });
          // A producer gets credit once its router knows the broker route (qdrouterd: an edge
          // that asked its interior before the link route was up routes the address as a
          // message address, with no consumer, for as long as that link lives). Probe with
          // fresh links until each producing router gives credit.
          await waitForEdgeUplinks(routers, ["aws-eu-edge-1", "azure-we-edge-1"], {
            username: "config-sync",
            password: USERS.get("config-sync")!,
          });
          for (const router of ["aws-eu-edge-1", "azure-we-interior-1", "azure-we-edge-1"])
            await brokerRouteKnown(router);
        }, 90_000);
        afterEach(async () => {
          for (const bridge of bridges.splice(0)) await bridge.stop(1_000);
          await Promise.all(clients.splice(0).map((c) => c.close(1_000)));
        });
        afterAll(async () => {
          await routers?.stop();
          await copy?.cleanup();
        });

        it("stores a message in the queue while no consumer runs and delivers it in another cloud", async () => {
          const messageId = `invoice-${randomUUID()}`;
          // No consumer anywhere: only the broker can accept this.
          expect(await publish("aws-eu-edge-1", messageId)).toBeDefined();
          const received = await receive("azure-we-edge-1", messageId);
          expect(received.body).toEqual(invoice(messageId));
        }, 45_000);

        it("reaches the queue from every router of the other cloud, interior or edge", async () => {
          // Routers without the broker connection of their own (linkRoute or autoLink).
          for (const router of ["azure-we-interior-1", "azure-we-edge-1"]) {
            const messageId = `invoice-${router}-${randomUUID()}`;
            await publish(router, messageId);
            const received = await receive(router, messageId);
            expect(received.body, router).toEqual(invoice(messageId));
          }
        }, 45_000);

        it("a bridge runs the function on a message that waited in the queue and settles it once", async () => {
          const messageId = `invoice-bridged-${randomUUID()}`;
          await publish("aws-eu-edge-1", messageId);
          const seen: string[] = [];
          const definition = defineChannelHandler<Invoice>({
            channel: "billing/invoices",
            name: "invoice-recorder",
            handler(batch) {
              const batchItemFailures: BatchItemFailure[] = [];
              for (const m of batch) seen.push(m.payload.invoiceId);
              return { batchItemFailures };
            },
          });
          const catalog = catalogOfRegistry(registry);
          const bridgeClient = client("azure-we-edge-1");
          const bridge = new ChannelBridge({
            client: bridgeClient,
            channel: "billing/invoices",
            deadLetter: "billing/invoices.dead",
            invoker: inProcessInvoker(definition, {
              catalog,
              publish: channelPublisher(bridgeClient, catalog),
            }),
            maxWaitMs: 20,
            // RabbitMQ 3.x's AMQP 1.0 plugin drops the link on drain (bridge.ts).
            drainOnStop: false,
          });
          bridges.push(bridge);
          await bridge.start();
          await waitFor(() => seen.includes(messageId) && bridge.stats.accepted >= 1, {
            what: "the bridge to run the function on the queued invoice and accept it",
            timeout: 20_000,
          });
          await bridge.stop(1_000);
          // Accepted once: the queue gives it to nobody after (a marker sent behind it comes
          // first and alone).
          const marker = `invoice-marker-${randomUUID()}`;
          await publish("aws-eu-edge-1", marker);
          const after: string[] = [];
          const consumer = client("azure-we-edge-1").consume(
            "billing/invoices",
            (message) => {
              after.push(String(message.messageId));
            },
            // RabbitMQ 3.x ends the session a drain reaches (link-routed on qdrouterd).
            { prefetch: 10, drainOnStop: false },
          );
          try {
            await waitFor(() => after.includes(marker), {
              what: "the marker behind the bridged invoice",
              timeout: 20_000,
            });
            expect(after).not.toContain(messageId);
            expect(seen.filter((id) => id === messageId)).toHaveLength(1);
          } finally {
            await consumer.stop(1_000);
          }
        }, 60_000);
      });
    }
  },
);
