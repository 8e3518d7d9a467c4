/**
 * Config-sync makes and takes away a broker channel's routes live: on skupper-router the out
 * autoLink (the channel's address → the queue), the in autoLink (the queue → its outlet) and
 * the outlet's address; on qdrouterd the link routes. The example's interior (holding the
 * RabbitMQ connector) and an edge, started from the generated configs — both flavours on the
 * emulator, the engine's own with MESH_TARGET — with the broker channel's queue renamed to
 * one of this run's own so that no other run competes for its messages. Under CI
 * (CI=true) a missing RabbitMQ fails.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MeshClient } from "../../../shared/amqp/index.ts";
import { validateProject } from "../../../shared/registry/index.ts";
import { consumerAddresses, typePrefix } from "../../../shared/router-config/index.ts";
import { MemoryStateStore } from "../../../shared/sync/index.ts";
import type { RouterFlavour } from "../../../shared/topology/index.ts";
import { NEEDS_OWN_ROUTERS, targetFlavour } from "../../conformance/target.ts";
import { closeAllClients, connectClient } from "../../support/amqp-client.ts";
import { copyExampleWithQueue, waitForEdgeUplinks } from "../../support/generated-routers.ts";
import {
  deleteQueues,
  IN_CI,
  probeRabbitMq,
  RABBITMQ,
  requireRabbitMq,
} from "../../support/rabbitmq.ts";
import { waitForValue } from "../../support/wait.ts";
import {
  EDGE,
  ENGINE,
  INTERIOR,
  routerErrors,
  SYNC_LOGIN,
  type SyncHarness,
  startSyncHarness,
  USERS,
} from "./harness.ts";

const rabbit = await probeRabbitMq();
process.env.RABBIT_PASSWORD ??= RABBITMQ.password;
const FLAVOURS: RouterFlavour[] =
  ENGINE === "emulator" ? ["qpid-dispatch", "skupper-router"] : [targetFlavour];
const QUEUE_PREFIX = `amqp-mesh-sync-${process.pid}-${Date.now().toString(36)}`;
const CHANNEL = "billing/invoices";

describe.skipIf(ENGINE === undefined || (!rabbit.reachable && !IN_CI))(
  `config-sync and a broker channel's routes on ${ENGINE ?? "running routers"} — ${NEEDS_OWN_ROUTERS}`,
  () => {
    afterAll(() => deleteQueues(QUEUE_PREFIX));

    for (const flavour of FLAVOURS) {
      describe(flavour, () => {
        let h: SyncHarness;
        const skupper = flavour === "skupper-router";
        const routeType = skupper ? "autoLink" : "linkRoute";
        const clients: MeshClient[] = [];

        beforeAll(async () => {
          requireRabbitMq(rabbit);
          const project = await copyExampleWithQueue(`${QUEUE_PREFIX}-${flavour}-invoices`);
          h = await startSyncHarness({ project, flavour });
          await waitForEdgeUplinks(h.routers, [EDGE], SYNC_LOGIN);
          const report = await h.sync(new MemoryStateStore());
          expect(report.outcome, routerErrors(report)).toBe("ok");
        }, 120_000);
        afterEach(async () => {
          await Promise.all(clients.splice(0).map((c) => c.close(1_000)));
          await closeAllClients();
        });
        afterAll(async () => {
          await h?.close();
        });

        /** The interior's routes of this flavour: name → operStatus, as management shows them. */
        const routes = async (): Promise<Map<string, string>> => {
          const sync = await connectClient(h.routers.url(INTERIOR), {
            username: SYNC_LOGIN.username,
            password: SYNC_LOGIN.password,
          });
          const reply = await sync.management(
            {
              operation: "QUERY",
              type: "org.amqp.management",
              entityType: `${typePrefix(flavour)}.router.config.${routeType}`,
            },
            { attributeNames: ["name", "operStatus"] },
          );
          await sync.close();
          return new Map((reply.body as { results: [string, string][] }).results);
        };
        const names = ["in", "out"].map((d) => `amqp-mesh/${routeType}/${CHANNEL}/${d}`);

        it(`removes the ${routeType}s when the channel drops its broker, and creates them again when it gets it back`, async () => {
          await h.editTeam("billing", (doc) => {
            delete doc.channels.find((c) => c.address === CHANNEL)!.routing;
          });
          const dropped = await h.sync(new MemoryStateStore());
          expect(dropped.outcome, routerErrors(dropped)).toBe("ok");
          expect(h.writes()).toEqual(
            expect.arrayContaining(
              names.map((name) => ({ router: INTERIOR, operation: "DELETE", name })),
            ),
          );
          expect([...(await routes()).keys()]).toEqual([]);

          h.resetTaps();
          await h.editTeam("billing", (doc) => {
            doc.channels.find((c) => c.address === CHANNEL)!.routing = {
              kind: "broker",
              broker: "rabbit-eu",
              queue: `${QUEUE_PREFIX}-${flavour}-invoices`,
            };
          });
          const back = await h.sync(new MemoryStateStore());
          expect(back.outcome, routerErrors(back)).toBe("ok");
          expect(h.writes()).toEqual(
            expect.arrayContaining(
              names.map((name) => ({ router: INTERIOR, operation: "CREATE", name })),
            ),
          );
          // No routes on the edge: an autoLink needs its connection on its own router.
          expect(
            h.writes().filter((w) => w.router === EDGE && w.name?.includes(routeType)),
          ).toEqual([]);
          await waitForValue(
            async () => {
              const now = await routes();
              return names.every((name) => now.get(name) === "active");
            },
            { timeout: 15_000, interval: 200, what: `both ${routeType}s to be active` },
          );
        }, 60_000);

        it("the routes config-sync created carry a message that waited in the queue to the channel's consumer", async () => {
          const project = await validateProject(h.project.dir);
          const messageId = `synced-${QUEUE_PREFIX}-${flavour}`;
          const login = (principal: string) => ({
            mechanism: "PLAIN" as const,
            username: principal,
            password: USERS.get(principal)!,
          });
          const producer = new MeshClient({
            urls: [h.routers.url(EDGE)],
            sasl: login("sales-api"),
            reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
          });
          clients.push(producer);
          // No consumer anywhere: only the queue takes it. A link that got no credit is
          // given up and attached afresh (qdrouterd's edge routes an attach it looked up
          // before its interior's link route was known as a plain address, for as long as
          // that link lives).
          const started = Date.now();
          const attempts = await waitForValue(
            async () => {
              const sent = await producer
                .publish(CHANNEL, { body: {}, messageId }, { deadline: 5_000 })
                .then(() => true)
                .catch(() => false);
              return sent ? Date.now() - started : undefined;
            },
            { timeout: 40_000, interval: 100, what: "the queue to accept the message" },
          );
          console.info(`${flavour}: published through the synced routes after ${attempts} ms`);
          const consumer = new MeshClient({
            urls: [h.routers.url(EDGE)],
            sasl: login("billing-worker"),
            reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
            consumerAddresses: consumerAddresses(project.registry!, flavour),
          });
          clients.push(consumer);
          const seen: string[] = [];
          // RabbitMQ 3.x ends the session a drain reaches (link-routed on qdrouterd).
          const running = consumer.consume(
            CHANNEL,
            (m) => {
              seen.push(String(m.messageId));
            },
            { drainOnStop: false },
          );
          try {
            await waitForValue(async () => seen.includes(messageId), {
              timeout: 20_000,
              what: "the queued message at the channel's consumer",
            });
          } finally {
            await running.stop(1_000);
          }
        }, 60_000);
      });
    }
  },
);
