/**
 * A broker channel as the generator makes it, on the routers it is made for: the example
 * project's `billing/invoices` (RabbitMQ queue) from its generated configs — qdrouterd's link
 * routes; on skupper-router, which has neither link routes nor address phases, the producers'
 * address with an out autoLink into the queue and an in autoLink from the queue onto the
 * queue's outlet (`_amqp-mesh/from-queue/billing/invoices`), which the platform's client
 * attaches to when the team consumes `billing/invoices` (shared/router-config/README.md).
 *
 * What is checked, with the example's PLAIN users (sales-api produces, billing-worker
 * consumes) across both clouds: a message published while no consumer runs waits in the
 * queue and comes out when one attaches; the mesh hands each message to the broker once and
 * takes it back once (router.address deliveries to and from the route container, counted
 * over 10 s: with one address for both autoLinks one message went to the broker ~22,900
 * times in 10 s, broker.test.ts); a consumer that dies holding a message leaves it in the
 * queue for the next; the policy keeps producers off the outlet and consumers off the
 * producers' address.
 *
 * Each flavour gets its own copy of the example, with a queue of this run's own name, so no
 * other run (or the other flavour) competes for its messages. Both flavours run on the
 * emulator; a real router runs its own. Under CI (CI=true) a missing RabbitMQ fails.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MeshClient, type ReceivedMessage } from "../../shared/amqp/index.ts";
import { validateProject } from "../../shared/registry/index.ts";
import {
  consumerAddresses,
  queueOutletAddress,
  typePrefix,
} from "../../shared/router-config/index.ts";
import type { RouterFlavour } from "../../shared/topology/index.ts";
import { closeAllClients, connectClient, type TestClient } from "../support/amqp-client.ts";
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
import { waitForValue } from "../support/wait.ts";
import { engine, NEEDS_OWN_ROUTERS, startsRouters, targetFlavour } from "./target.ts";

const rabbit = await probeRabbitMq();
// The generated broker connector reads the password from RABBIT_PASSWORD, as real routers do.
process.env.RABBIT_PASSWORD ??= RABBITMQ.password;
const runChecks = startsRouters && (rabbit.reachable || IN_CI);
const why = rabbit.reachable
  ? NEEDS_OWN_ROUTERS
  : `RabbitMQ unreachable (${rabbit.reason}); outside CI this skips`;

const FLAVOURS: RouterFlavour[] =
  engine === "emulator" ? ["qpid-dispatch", "skupper-router"] : [targetFlavour];
const CHANNEL = "billing/invoices";
const USERS = new Map([
  ["sales-api", "sales-secret"],
  ["billing-worker", "billing-secret"],
  ["config-sync", "sync-secret"],
]);
/** The broker's cloud (its interior holds the connector) and the other cloud. */
const ROUTERS = ["aws-eu-interior-1", "aws-eu-edge-1", "azure-we-interior-1", "azure-we-edge-1"];
const run = `${process.pid}-${Date.now().toString(36)}`;
const QUEUE_PREFIX = `amqp-mesh-conformance-channel-${run}`;

describe.skipIf(!runChecks)(`broker channel from the generated configs — ${why}`, () => {
  afterAll(() => deleteQueues(QUEUE_PREFIX));

  for (const flavour of FLAVOURS) {
    describe(flavour, () => {
      let copy: ProjectCopy;
      let routers: GeneratedRouters;
      let consumeVia: Record<string, string>;
      const meshClients: MeshClient[] = [];
      const skupper = flavour === "skupper-router";

      const login = (principal: string): { username: string; password: string } => ({
        username: principal,
        password: USERS.get(principal)!,
      });
      beforeAll(async () => {
        requireRabbitMq(rabbit);
        copy = await copyExampleWithQueue(`${QUEUE_PREFIX}-${flavour}-invoices`);
        const project = await validateProject(copy.dir);
        consumeVia = consumerAddresses(project.registry!, flavour);
        routers = await startGeneratedRouters(copy.dir, {
          engine: engine!,
          users: USERS,
          managementPrincipals: ["config-sync"],
          flavour,
          only: ROUTERS,
        });
        await waitForEdgeUplinks(
          routers,
          ["aws-eu-edge-1", "azure-we-edge-1"],
          login("config-sync"),
        );
      }, 90_000);
      afterEach(async () => {
        await Promise.all(meshClients.splice(0).map((c) => c.close(1_000)));
        await closeAllClients();
      });
      afterAll(async () => {
        await routers?.stop();
        await copy?.cleanup();
      });

      const at = (router: string, principal: string): Promise<TestClient> =>
        connectClient(routers.url(router), login(principal));
      /** The platform's own client, as a team's consumer or the bridge use it. */
      const platformClient = (router: string, principal: string): MeshClient => {
        const client = new MeshClient({
          urls: [routers.url(router)],
          sasl: { mechanism: "PLAIN", ...login(principal) },
          reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
          consumerAddresses: consumeVia,
        });
        meshClients.push(client);
        return client;
      };
      /** Publishes one invoice from the broker's other cloud; accepted = in the queue. */
      const publish = async (messageId: string): Promise<void> => {
        const producer = await at("azure-we-edge-1", "sales-api");
        // Credit comes once the broker connection (its autoLink, or its link route) is known
        // here; until then a link-routed attach is refused (qd:no-route-to-dest): attach again.
        const sender = await waitForValue(
          async () => {
            const attempt = await producer.sender(CHANNEL);
            const credited = await attempt
              .waitForCredit(1, 3_000)
              .then(() => true)
              .catch(() => false);
            if (credited) return attempt;
            await attempt.close();
            return undefined;
          },
          { timeout: 30_000, interval: 200, what: "credit on the channel (its broker route up)" },
        );
        const outcome = await waitForValue(
          async () => {
            const sent = await sender.sendAndWait({ body: "{}", message_id: messageId }, 10_000);
            // Released: the path was still forming; modified: the broker's session ended under
            // the message (RabbitMQ 3.10 ends it when the router drains the outlet's autoLink,
            // see README). The platform's client sends again in both cases, as this does.
            return sent.outcome === "released" || sent.outcome === "modified"
              ? undefined
              : sent.outcome;
          },
          { timeout: 15_000, interval: 200, what: "an outcome other than released" },
        );
        expect(outcome).toBe("accepted");
      };
      /**
       * Consumes the channel by its name with the platform's client until every one of
       * `messageIds` came (each accepted), then stops: one consumer for all, so that none is
       * handed back to the queue by a consumer that stopped early.
       */
      const consumeAll = async (
        router: string,
        messageIds: string[],
      ): Promise<ReceivedMessage[]> => {
        const seen = new Map<string, ReceivedMessage>();
        let done: () => void = () => {};
        const arrived = new Promise<void>((resolve) => {
          done = resolve;
        });
        const consumer = platformClient(router, "billing-worker").consume(
          CHANNEL,
          (message) => {
            if (message.messageId === undefined || !messageIds.includes(String(message.messageId)))
              return;
            seen.set(String(message.messageId), message);
            if (seen.size === messageIds.length) done();
          },
          // RabbitMQ 3.x ends the session a drain reaches (link-routed on qdrouterd).
          { prefetch: 10, drainOnStop: false },
        );
        try {
          await arrived;
          return messageIds.map((id) => seen.get(id)!);
        } finally {
          await consumer.stop(1_000);
        }
      };
      const consumeUntil = async (router: string, messageId: string): Promise<ReceivedMessage> =>
        (await consumeAll(router, [messageId]))[0]!;
      /** Both autoLinks of the broker's interior attached (after a consumer left, again). */
      const autoLinksActive = async (): Promise<void> => {
        const sync = await at("aws-eu-interior-1", "config-sync");
        await waitForValue(
          async () => {
            const reply = await sync.management(
              {
                operation: "QUERY",
                type: "org.amqp.management",
                entityType: `${typePrefix(flavour)}.router.config.autoLink`,
              },
              { attributeNames: ["operStatus"] },
            );
            const rows = (reply.body as { results: string[][] }).results;
            return rows.length === 2 && rows.every(([status]) => status === "active");
          },
          { timeout: 15_000, interval: 200, what: "both autoLinks to be active" },
        );
        await sync.close();
      };
      /** This router's router.address rows: key → [egress, ingress] to/from route containers. */
      const routeContainerCounts = async (router: string): Promise<Map<string, number[]>> => {
        const sync = await at(router, "config-sync");
        const reply = await sync.management(
          {
            operation: "QUERY",
            type: "org.amqp.management",
            entityType: `${typePrefix(flavour)}.router.address`,
          },
          {
            attributeNames: [
              "key",
              "deliveriesEgressRouteContainer",
              "deliveriesIngressRouteContainer",
            ],
          },
        );
        await sync.close();
        const rows = (reply.body as { results: [string, number, number][] }).results;
        return new Map(rows.map(([key, egress, ingress]) => [key, [egress, ingress]]));
      };

      it.skipIf(!skupper)(
        "hands each message to the broker once and takes it back once (router.address on the broker's interior, over 10 s)",
        async () => {
          const key = (address: string) => `M${address}`;
          const before = await routeContainerCounts("aws-eu-interior-1");
          const count = (rows: Map<string, number[]>, address: string, way: 0 | 1) =>
            rows.get(key(address))?.[way] ?? 0;
          const ids = [1, 2, 3].map((n) => `counted-${n}-${run}`);
          // First on fresh routers: the outlet's in autoLink has never had credit. Once a
          // consumer held some and left, the next message the broker pushes finds no path:
          // released and drained, and RabbitMQ 3.10 ends the session over the drain (README) —
          // the producer then resends what was in flight, which would count twice here.
          await autoLinksActive();
          for (const id of ids) await publish(id);
          // No consumer: the outlet's in autoLink gets no credit, nothing comes back.
          await new Promise((resolve) => setTimeout(resolve, 10_000));
          const queued = await routeContainerCounts("aws-eu-interior-1");
          expect(count(queued, CHANNEL, 0) - count(before, CHANNEL, 0)).toBe(ids.length);
          const outlet = queueOutletAddress(CHANNEL);
          expect(count(queued, outlet, 1) - count(before, outlet, 1)).toBe(0);
          await consumeAll("azure-we-edge-1", ids);
          await new Promise((resolve) => setTimeout(resolve, 10_000));
          const after = await routeContainerCounts("aws-eu-interior-1");
          // Out once, back once: nothing went round (the one-address pair loops, broker.test.ts).
          expect(count(after, CHANNEL, 0) - count(before, CHANNEL, 0)).toBe(ids.length);
          expect(count(after, outlet, 1) - count(before, outlet, 1)).toBe(ids.length);
          expect(count(after, outlet, 0)).toBe(0);
        },
        90_000,
      );

      it("keeps a message published while no consumer runs in the queue and delivers it in the other cloud", async () => {
        const messageId = `waiting-${run}`;
        await publish(messageId);
        const received = await consumeUntil("aws-eu-edge-1", messageId);
        expect(received.messageId).toBe(messageId);
      }, 60_000);

      it.skipIf(!skupper)(
        "a consumer that dies holding a message leaves it in the queue for the next one",
        async () => {
          const messageId = `orphaned-${run}`;
          await publish(messageId);
          const doomed = await at("azure-we-edge-1", "billing-worker");
          const holder = await doomed.receiver(queueOutletAddress(CHANNEL), { autoaccept: false });
          const held = await waitForValue(
            async () => holder.messages.find((m) => m.message.message_id === messageId),
            { timeout: 15_000, what: "the message to reach the first consumer" },
          );
          expect(held.message.message_id).toBe(messageId);
          // Gone without a close and without settling: the router sees the socket end.
          (doomed.connection.socket as { destroy(): void }).destroy();
          const again = await consumeUntil("aws-eu-edge-1", messageId);
          expect(again.messageId).toBe(messageId);
        },
        60_000,
      );

      it.skipIf(!skupper)(
        "lets producers send to the channel's address only, and consumers receive from the outlet only",
        async () => {
          const consumer = await at("aws-eu-edge-1", "billing-worker");
          const onAddress = await consumer.receiver(CHANNEL);
          expect(await onAddress.detached).toMatchObject({ condition: "amqp:unauthorized-access" });
          const producer = await at("aws-eu-edge-1", "sales-api");
          const onOutlet = await producer.sender(queueOutletAddress(CHANNEL));
          expect(await onOutlet.detached).toMatchObject({ condition: "amqp:unauthorized-access" });
          // That consumers do receive from the outlet, the first check shows.
        },
      );
    });
  }
});
