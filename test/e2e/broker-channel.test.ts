/**
 * The example's broker channel end to end: generated qdrouterd configs in the emulator,
 * link-routed to the real RabbitMQ queue. A message published while no consumer runs is
 * accepted by the broker, survives there, and comes out on another cloud's edge router.
 *
 * What this assumes about qdrouterd 1.19 (read in apache/qpid-dispatch, not run here):
 * - Every interior carries the linkRoute for `billing/invoices`; only the aws-eu interiors
 *   name the broker connection. An attach is link-routed where the ingress router's own
 *   link-route table has the pattern; an edge router asks its interior
 *   (src/router_core/modules/address_lookup_server). The attach then travels to a router
 *   whose link-route address has a container connection (propagated through the mesh).
 * - The external address is made only there, with that router's own add/delExternalPrefix:
 *   `qdr_forward_link_balanced_CT` (src/router_core/forwarder.c) rewrites the terminus only
 *   when it hands the attach to a locally connected container; routers on the way pass the
 *   address through as the client gave it.
 * - Until the broker connection is up an attach is refused with `qd:no-route-to-dest`, so
 *   the test waits for the link route first (polling, bounded).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalMesh, startLocalMesh } from "../../emulator/index.ts";
import { MeshClient, type ReceivedMessage } from "../../shared/amqp/index.ts";
import { validateProject } from "../../shared/registry/index.ts";
import { generateRouterConfigs } from "../../shared/router-config/index.ts";
import { IN_CI, probeRabbitMq, RABBITMQ, requireRabbitMq } from "../support/rabbitmq.ts";

const EXAMPLES = new URL("../../examples", import.meta.url).pathname;
const rabbit = await probeRabbitMq();
const PASSWORD = "local-test-password";

describe.skipIf(!rabbit.reachable && !IN_CI)(
  `broker channel billing/invoices through RabbitMQ (${rabbit.reason || "reachable"})`,
  () => {
    let mesh: LocalMesh;
    const clients: MeshClient[] = [];
    const client = (router: string) => {
      const c = new MeshClient({
        urls: [mesh.router(router).url],
        sasl: { mechanism: "PLAIN", username: "billing-worker", password: PASSWORD },
        reconnect: { initialDelayMs: 50, maxDelayMs: 500, maxAttempts: 5 },
      });
      clients.push(c);
      return c;
    };

    /**
     * Consumes the channel at `router` until the message `messageId` arrives, then stops:
     * consumers of one queue compete, so none may outlive its check. Earlier runs may have
     * left invoices in the queue; they are taken and skipped.
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
        { prefetch: 10 },
      );
      try {
        return await arrived;
      } finally {
        await consumer.stop(1_000);
      }
    };

    beforeAll(async () => {
      requireRabbitMq(rabbit);
      const { topology, registry, diagnostics } = await validateProject(EXAMPLES);
      expect(diagnostics).toEqual([]);
      // The connector reads its password from the environment, as a real router would.
      process.env.RABBIT_PASSWORD = RABBITMQ.password;
      const brokers = topology!.brokers.map((b) => ({
        ...b,
        host: RABBITMQ.host,
        port: RABBITMQ.port,
        sasl: { ...b.sasl!, username: RABBITMQ.username },
      }));
      const project = { ...topology!, brokers };
      const { configs } = generateRouterConfigs(registry!, project);
      mesh = await startLocalMesh({
        topology: project,
        configs,
        users: new Map([["billing-worker", PASSWORD]]),
      });
      // Both ends: the edge in the broker's cloud and the one in the other cloud.
      for (const router of ["aws-eu-edge-1", "azure-we-edge-1"]) {
        await mesh.waitForLinkRoute("billing/invoices", { router, timeout: 10_000 });
      }
    });

    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await mesh?.stop();
    });

    it("stores a message in the queue while no consumer runs and delivers it in another cloud", async () => {
      const messageId = `invoice-${randomUUID()}`;
      const invoice = { invoiceId: messageId, orderId: "ord-1", amount: 12.5, currency: "EUR" };
      // No consumer anywhere: only the broker can accept this.
      const result = await client("aws-eu-edge-1").publish(
        "billing/invoices",
        { body: invoice, messageId },
        { deadline: 15_000 },
      );
      expect(result).toBeDefined();

      const received = await receive("azure-we-edge-1", messageId);
      expect(received.body).toEqual(invoice);
    }, 30_000);

    it("reaches the queue from every router of the other cloud, interior or edge", async () => {
      // The case: routers whose linkRoute has no connection of their own.
      for (const router of ["azure-we-interior-1", "azure-we-edge-1"]) {
        const messageId = `invoice-${router}-${randomUUID()}`;
        const invoice = { invoiceId: messageId, orderId: "ord-2", amount: 3, currency: "EUR" };
        await client(router).publish(
          "billing/invoices",
          { body: invoice, messageId },
          {
            deadline: 15_000,
          },
        );
        const received = await receive(router, messageId);
        expect(received.body, router).toEqual(invoice);
      }
    }, 30_000);
  },
);
