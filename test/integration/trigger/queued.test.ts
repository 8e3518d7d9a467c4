/**
 * Queued mode end to end: invoices published on an edge router, fed by the router into a
 * RabbitMQ queue (AMQP 1.0 plugin) — by a link route (qpid-dispatch) or the generator's
 * skupper-router pair (an out autoLink into the queue, an in autoLink from it onto the queue's
 * outlet, which no one consumes here) — and read from the queue by stand-ins of the clouds' queue triggers that
 * shape the event as the cloud does: Amazon MQ's event source mapping into the real Lambda
 * handler, the Service Bus trigger into the real Azure handler. Neither takes a partial
 * batch response: a failure redelivers the batch, and Powertools idempotency over the local
 * Redis keeps done messages from running twice.
 *
 * TRIGGER_TARGET=qdrouterd|skrouterd runs the routers as real processes (binaries on PATH).
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Invoice } from "../../../examples/functions/invoice-sending.ts";
import { createQueuedTriggerLambdaHandler } from "../../../functions/aws/trigger/queued.ts";
import { createServiceBusTriggerHandler } from "../../../functions/azure/trigger/handler.ts";
import { connectRedisIdempotencyGuard } from "../../../functions/idempotency/index.ts";
import { type JsonValue, MeshClient, toAmqpMessage } from "../../../shared/amqp/index.ts";
import { queueOutletAddress, typePrefix } from "../../../shared/router-config/index.ts";
import {
  type ChannelMessage,
  channelPublisher,
  defineChannelHandler,
  type IdempotencyGuard,
} from "../../../shared/trigger/index.ts";
import { closeAllClients, connectClient } from "../../support/amqp-client.ts";
import { address } from "../../support/local-mesh.ts";
import {
  amazonMqEventSource,
  type QueueEventSource,
  serviceBusTriggerSource,
} from "../../support/queue-event-sources.ts";
import {
  deleteQueues,
  IN_CI,
  probeRabbitMq,
  rabbitConnector,
  requireRabbitMq,
} from "../../support/rabbitmq.ts";
import { probeRedis, REDIS_URL, requireRedis } from "../../support/redis.ts";
import {
  type MeshEngine,
  startTargetMesh,
  stopTargetMeshes,
  type TargetMesh,
} from "../../support/target-mesh.ts";
import { waitFor } from "../../support/wait.ts";
import { exampleRegistry } from "./harness.ts";

process.env.POWERTOOLS_METRICS_DISABLED = "true";
const rabbit = await probeRabbitMq();
const redis = await probeRedis();
const engine = (process.env.TRIGGER_TARGET ?? "emulator") as MeshEngine;
const run = `${process.pid}-${Date.now().toString(36)}`;
const OUTLET = queueOutletAddress("billing/invoices");

type Feed = "linkRoute" | "autoLink";
type Front = "amazon-mq → lambda" | "service-bus → azure";

const FEEDS: Feed[] =
  engine === "skrouterd"
    ? ["autoLink"]
    : engine === "qdrouterd"
      ? ["linkRoute", "autoLink"]
      : ["linkRoute", "autoLink"];

/** Invoices fed to the queue `<queue>-invoices` by router `i`; producers on edge `e`. */
async function startFeed(feed: Feed, queue: string): Promise<TargetMesh> {
  const flavour =
    feed === "linkRoute" || engine === "qdrouterd" ? "qpid-dispatch" : "skupper-router";
  const routing =
    feed === "linkRoute"
      ? ["in", "out"].map((direction) => ({
          type: "linkRoute" as const,
          attributes: {
            prefix: "billing/invoices",
            direction,
            connection: "rabbit",
            // Not the whole address: qdrouterd 1.19.0 leaves a delExternalPrefix equal to the
            // address in place (→ "/queue/<q>billing/invoices", which RabbitMQ never answers).
            delExternalPrefix: "billing/",
            addExternalPrefix: `/queue/${queue}-`,
          },
        }))
      : // As the generator makes a broker channel for skupper-router: the out autoLink into
        // the queue, and the in autoLink from it onto the queue's outlet, which nobody
        // consumes here (the trigger reads the queue): it must take nothing from the queue.
        [
          address("billing/invoices", "balanced"),
          address(OUTLET, "balanced"),
          ...(
            [
              ["out", "billing/invoices"],
              ["in", OUTLET],
            ] as const
          ).map(([direction, on]) => ({
            type: "autoLink" as const,
            attributes: {
              address: on,
              direction,
              connection: "rabbit",
              externalAddress: `/queue/${queue}-invoices`,
            },
          })),
        ];
  const mesh = await startTargetMesh(
    {
      flavour,
      routers: [{ id: "i" }, { id: "e", mode: "edge", uplinks: ["i"] }],
      entities: {
        i: [rabbitConnector(), ...routing],
        ...(feed === "autoLink" ? { e: [address("billing/invoices", "balanced")] } : {}),
      },
    },
    engine,
  );
  await mesh.waitForConnector("i", "rabbit", { timeout: 15_000 });
  if (feed === "linkRoute") {
    await mesh.waitForLinkRoute("billing/invoices", {
      router: "e",
      direction: "in",
      timeout: 15_000,
    });
  } else {
    const client = await connectClient(mesh.router("i").url);
    await waitFor(
      async () => {
        const reply = await client.management(
          {
            operation: "QUERY",
            type: "org.amqp.management",
            entityType: `${typePrefix(flavour)}.router.config.autoLink`,
          },
          { attributeNames: ["address", "operStatus"] },
        );
        const rows = (reply.body as { results: unknown[][] }).results;
        return rows.length === 2 && rows.every(([, status]) => status === "active");
      },
      { what: "the autoLinks to and from the queue to become active", timeout: 15_000 },
    );
  }
  return mesh;
}

function recordingInvoices(fails: (invoiceId: string) => boolean = () => false) {
  const runs = new Map<string, number>();
  const messages: ChannelMessage<Invoice>[] = [];
  const definition = defineChannelHandler<Invoice>({
    channel: "billing/invoices",
    name: "invoice-recording",
    handler(batch) {
      const batchItemFailures = [];
      for (const m of batch) {
        messages.push(m);
        runs.set(m.payload.invoiceId, (runs.get(m.payload.invoiceId) ?? 0) + 1);
        if (fails(m.payload.invoiceId)) batchItemFailures.push({ itemIdentifier: m.id });
      }
      return { batchItemFailures };
    },
  });
  return { definition, runs, messages };
}

const invoice = (n: number): Invoice => ({
  invoiceId: `inv-${run}-${n}`,
  orderId: `ord-${n}`,
  amount: n * 9.5,
  currency: "EUR",
});

describe.skipIf(!rabbit.reachable && !IN_CI)(
  `queued triggers through RabbitMQ on ${engine} (${rabbit.reason || "reachable"})`,
  () => {
    let producer: MeshClient | undefined;
    let source: QueueEventSource | undefined;
    const closers: Array<() => Promise<void>> = [];

    beforeAll(() => requireRabbitMq(rabbit));
    afterEach(async () => {
      await source?.close();
      source = undefined;
      await producer?.close(100);
      producer = undefined;
      for (const close of closers.splice(0)) await close();
      await closeAllClients();
      await stopTargetMeshes();
    });

    async function sourceFor(
      front: Front,
      definition: ReturnType<typeof recordingInvoices>["definition"],
      queue: string,
      idempotency: IdempotencyGuard | undefined,
      maxDeliveries = 3,
    ): Promise<QueueEventSource> {
      const { catalog } = await exampleRegistry();
      const publish = channelPublisher(producer as MeshClient, catalog);
      if (front === "amazon-mq → lambda") {
        const handler = createQueuedTriggerLambdaHandler(definition, {
          catalog,
          publish,
          logger: new Logger({ serviceName: "queued-test", logLevel: "SILENT" }),
          metrics: new Metrics({ namespace: "amqp-mesh-test", serviceName: "queued" }),
          idempotency: idempotency as never,
        });
        return amazonMqEventSource({ queue, handler, maxDeliveries, batchSize: 10 });
      }
      const handler = createServiceBusTriggerHandler(definition, { catalog, publish, idempotency });
      return serviceBusTriggerSource({ queue, handler, maxDeliveries, batchSize: 10 });
    }

    async function publishInvoices(mesh: TargetMesh, invoices: Invoice[]): Promise<void> {
      producer = new MeshClient({
        urls: [mesh.router("e").url],
        reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      });
      for (const [i, payload] of invoices.entries()) {
        // Every other one as a CloudEvent (binary mode), as the ingress sends them.
        const message =
          i % 2 === 1
            ? toAmqpMessage({
                specversion: "1.0",
                id: `${payload.invoiceId}`,
                source: "/billing",
                type: "com.example.invoice",
                data: payload as unknown as JsonValue,
              })
            : { body: payload as unknown as JsonValue, messageId: payload.invoiceId };
        // Accepted here means the broker stored it (the link goes to the queue).
        await producer.publish("billing/invoices", message, { deadline: 15_000 });
      }
    }

    describe.each(FEEDS)("fed by %s", (feed) => {
      describe.each(["amazon-mq → lambda", "service-bus → azure"] as Front[])("%s", (front) => {
        it("hands the queue's messages to the handler as one typed batch, CloudEvents included", async () => {
          const queue = `amqp-mesh-trigger-${run}-${feed}-${front.split(" ")[0]}`;
          const mesh = await startFeed(feed, queue);
          const invoices = [1, 2, 3].map(invoice);
          await publishInvoices(mesh, invoices);
          const fn = recordingInvoices();
          source = await sourceFor(front, fn.definition, `${queue}-invoices`, undefined);
          await source.pollUntilEmpty();
          expect(fn.messages.map((m) => m.payload)).toEqual(invoices);
          // The mesh's message id survives the broker (ActiveMQ's JMS id marker stripped).
          expect(fn.messages.map((m) => m.messageId)).toEqual(invoices.map((i) => i.invoiceId));
          expect(fn.messages[1]?.cloudEvent).toMatchObject({
            id: invoices[1]?.invoiceId,
            type: "com.example.invoice",
            source: "/billing",
          });
          expect(fn.messages[0]?.cloudEvent).toBeUndefined();
          expect(fn.messages.every((m) => m.attempt === 1)).toBe(true);
          expect(source.invocations).toEqual([{ size: 3, failed: false }]);
          expect(source.deadLettered).toEqual([]);
        });

        it.skipIf(!redis.reachable && !IN_CI)(
          `fails the whole batch for one failed message; done messages are not run again (Redis ${redis.reason || "reachable"})`,
          async () => {
            requireRedis(redis);
            const queue = `amqp-mesh-trigger-${run}-${feed}-${front.split(" ")[0]}-retry`;
            const mesh = await startFeed(feed, queue);
            const invoices = [1, 2, 3].map(invoice);
            await publishInvoices(mesh, invoices);
            const store = await connectRedisIdempotencyGuard(REDIS_URL, {
              keyPrefix: `test-${run}-${feed}-${front.length}`,
            });
            closers.push(store.close);
            const poisoned = invoices[1]?.invoiceId as string;
            const fn = recordingInvoices((id) => id === poisoned);
            source = await sourceFor(front, fn.definition, `${queue}-invoices`, store.guard, 3);
            await source.pollUntilEmpty();
            // Three deliveries of the batch, each failed by the poisoned invoice...
            expect(source.invocations.map((i) => i.failed)).toEqual([true, true, true]);
            expect(source.invocations[0]?.error).toMatch(
              /1 of 3 messages .* failed; the broker redelivers the whole batch/,
            );
            // ...but the other two ran once: idempotency skipped them in the redeliveries.
            expect(Object.fromEntries(fn.runs)).toEqual({
              [invoices[0]?.invoiceId as string]: 1,
              [poisoned]: 3,
              [invoices[2]?.invoiceId as string]: 1,
            });
            expect(
              fn.messages.filter((m) => m.payload.invoiceId === poisoned).map((m) => m.attempt),
            ).toEqual([1, 2, 3]);
            // The broker dead-letters by delivery count: the done companions go with it (replaying them is a no-op).
            expect(source.deadLettered.sort()).toEqual(invoices.map((i) => i.invoiceId).sort());
          },
        );
      });
    });

    afterAll(async () => {
      await stopTargetMeshes();
      // Each run's queues (and their .dlq) are its own: leave nothing behind in RabbitMQ.
      await deleteQueues(`amqp-mesh-trigger-${run}`);
      // One rabbitmqctl per queue (an Erlang VM each): over a minute on a loaded machine.
    }, 180_000);
  },
);
