/**
 * What the trigger tests share: the example registry, a raw producer whose every delivery's
 * outcome is what the router reported (the router's side of the count), a consumer of the
 * dead-letter channel, the router's own count of deliveries on the bridge's link (management
 * QUERY of router.link, as `qdstat -l` shows it), and a recording test function.
 */
import { randomUUID } from "node:crypto";
import rhea from "rhea";
import type { ChannelRegistry } from "../../../shared/registry/index.ts";
import { validateProject } from "../../../shared/registry/index.ts";
import { typePrefix } from "../../../shared/router-config/index.ts";
import type { RouterFlavour } from "../../../shared/topology/index.ts";
import {
  type BatchItemFailure,
  type ChannelCatalog,
  type ChannelMessage,
  catalogOfRegistry,
  defineChannelHandler,
} from "../../../shared/trigger/index.ts";
import { connectClient, type SendResult, type TestClient } from "../../support/amqp-client.ts";
import type { MeshEngine } from "../../support/target-mesh.ts";

const EXAMPLES = new URL("../../../examples", import.meta.url).pathname;

let loaded: { registry: ChannelRegistry; catalog: ChannelCatalog } | undefined;

export async function exampleRegistry(): Promise<{
  registry: ChannelRegistry;
  catalog: ChannelCatalog;
}> {
  if (loaded) return loaded;
  const { registry, diagnostics } = await validateProject(EXAMPLES);
  if (!registry || diagnostics.some((d) => d.severity === "error"))
    throw new Error("examples are invalid");
  loaded = { registry, catalog: catalogOfRegistry(registry) };
  return loaded;
}

export interface Order {
  orderId: string;
  customerId: string;
  lines: Array<{ sku: string; quantity: number }>;
}

export function order(n: number): Order {
  return {
    orderId: `ord-${n}`,
    customerId: `c-${n}`,
    lines: [{ sku: "sku-1", quantity: 1 + (n % 3) }],
  };
}

/** An AMQP message as any producer would send it: JSON in a data section, a message id. */
export function orderMessage(payload: unknown, messageId = `m-${randomUUID()}`) {
  return {
    message_id: messageId,
    content_type: "application/json",
    durable: true,
    body: rhea.message.data_section(Buffer.from(JSON.stringify(payload))),
  };
}

/** Sends every message on one link and resolves with each delivery's outcome, as the router reported it. */
export async function produce(
  client: TestClient,
  address: string,
  messages: object[],
  timeout = 20_000,
): Promise<SendResult[]> {
  const sender = await client.sender(address);
  await sender.waitForCredit(1, timeout);
  return Promise.all(messages.map((m) => sender.sendAndWait(m, timeout)));
}

/** Where the trigger suites run: the emulator, or TRIGGER_TARGET=qdrouterd|skrouterd (binaries on PATH). */
export const TRIGGER_TARGET = (process.env.TRIGGER_TARGET ?? "emulator") as MeshEngine;
export const TARGET_FLAVOUR: RouterFlavour =
  TRIGGER_TARGET === "skrouterd" ? "skupper-router" : "qpid-dispatch";

/** The router's own count on the bridge's link: deliveries it sent out on `address` (router.link rows). */
export async function routerLinkCounts(
  url: string,
  address: string,
  flavour: RouterFlavour = "qpid-dispatch",
): Promise<{ delivered: number; unsettled: number; links: number }> {
  const client = await connectClient(url, { untracked: true });
  try {
    const reply = await client.management(
      {
        operation: "QUERY",
        type: "org.amqp.management",
        entityType: `${typePrefix(flavour)}.router.link`,
      },
      { attributeNames: ["linkDir", "owningAddr", "deliveryCount", "unsettledCount", "linkType"] },
    );
    const body = reply.body as { results: unknown[][] };
    const rows = body.results.filter(
      ([dir, owner, , , type]) =>
        dir === "out" &&
        type === "endpoint" &&
        typeof owner === "string" &&
        owner.replace(/^M0?/, "") === address,
    );
    return {
      delivered: rows.reduce((sum, row) => sum + Number(row[2]), 0),
      unsettled: rows.reduce((sum, row) => sum + Number(row[3]), 0),
      links: rows.length,
    };
  } finally {
    await client.close();
  }
}

export interface RecordedCall {
  orderIds: string[];
  attempts: number[];
}

/**
 * A test function on sales/orders: records each call; `fails(order, attempt)` says which
 * items to report failed. Each message's attempts are counted by its order id.
 */
export function recordingHandler(
  fails: (orderId: string, attempt: number) => boolean = () => false,
) {
  const calls: RecordedCall[] = [];
  const seen = new Map<string, number>();
  const messages: ChannelMessage<Order>[] = [];
  const definition = defineChannelHandler<Order>({
    channel: "sales/orders",
    name: "recording",
    handler(batch) {
      calls.push({
        orderIds: batch.map((m) => m.payload.orderId),
        attempts: batch.map((m) => m.attempt),
      });
      const batchItemFailures: BatchItemFailure[] = [];
      for (const m of batch) {
        messages.push(m);
        seen.set(m.payload.orderId, (seen.get(m.payload.orderId) ?? 0) + 1);
        if (fails(m.payload.orderId, m.attempt)) batchItemFailures.push({ itemIdentifier: m.id });
      }
      return { batchItemFailures };
    },
  });
  return { definition, calls, seen, messages };
}

export async function deadLetterReceiver(client: TestClient, address = "sales/orders.dead") {
  return client.receiver(address, { credit: 100 });
}
