/**
 * Stand-ins for the clouds' queue triggers, reading a RabbitMQ queue over AMQP 1.0 (as the
 * cloud's poller reads its broker) and invoking the real function front with the event
 * shaped as that cloud shapes it:
 *
 * - `amazonMqEventSource`: Lambda's event source mapping for Amazon MQ (ActiveMQ): an
 *   `aws:mq` event (JMS message id, base64 `data`, string `properties`, `redelivered`); a
 *   function error redelivers the whole batch; after `maxRedeliveries` a message goes to the
 *   dead-letter queue (ActiveMQ's redelivery policy, then ActiveMQ.DLQ);
 * - `serviceBusTriggerSource`: the Functions host's Service Bus trigger with
 *   `cardinality: "many"`: the bodies (JSON parsed, as the worker hands them) and
 *   `triggerMetadata.*Array`; a throw abandons the batch; past `maxDeliveryCount` a message is
 *   dead-lettered.
 *
 * The broker's bookkeeping (delivery counts, the DLQ) is the stand-in's own; what is real is
 * the queue the router fed, the messages in it and the function front.
 *
 *   const source = await amazonMqEventSource({ queue, handler, batchSize: 10 });
 *   await source.pollUntilEmpty();   await source.close();
 */

import { randomUUID } from "node:crypto";
import { InvocationContext } from "@azure/functions";
import type { Context } from "aws-lambda";
import rhea, { type Connection, type Delivery, type Message, type Receiver } from "rhea";
import type {
  AmazonMqEvent,
  AmazonMqMessage,
} from "../../functions/aws/trigger/amazon-mq-event.ts";
import { RABBITMQ } from "./rabbitmq.ts";
import { withTimeout } from "./wait.ts";

interface Held {
  message: Message;
  delivery: Delivery;
}

export interface QueueEventSource {
  /** Invocations so far and how each ended. */
  readonly invocations: Array<{ size: number; failed: boolean; error?: string }>;
  /** Messages moved to the dead-letter queue, by message id. */
  readonly deadLettered: string[];
  /** Reads and invokes until the queue stays empty for `quietMs` (released messages awaited). */
  pollUntilEmpty(options?: { quietMs?: number; timeoutMs?: number }): Promise<void>;
  close(): Promise<void>;
}

/** The body bytes of a message as the broker stored it (data section, or an AMQP value). */
function bodyBytes(message: Message): Buffer {
  const body = message.body as unknown;
  if (body && typeof body === "object" && "typecode" in body && "content" in body)
    return Buffer.from((body as { content: Buffer }).content);
  if (Buffer.isBuffer(body)) return body;
  return Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
}

function messageIdOf(message: Message): string {
  const id = message.message_id as unknown;
  return Buffer.isBuffer(id) ? id.toString("hex") : String(id);
}

function stringProperties(message: Message): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(message.application_properties ?? {}))
    out[key] = value instanceof Date ? value.toISOString() : String(value);
  return out;
}

async function openQueue(
  queue: string,
): Promise<{ connection: Connection; receiver: Receiver; received: Held[] }> {
  const container = rhea.create_container({ id: `queue-trigger-${randomUUID()}` });
  const connection = container.connect({ ...RABBITMQ, reconnect: false });
  connection.on("error", () => {});
  await withTimeout(
    new Promise<void>((resolve) => connection.once("connection_open", () => resolve())),
    5_000,
    "RabbitMQ",
  );
  const received: Held[] = [];
  const receiver = connection.open_receiver({
    source: { address: `/queue/${queue}` },
    credit_window: 0,
    autoaccept: false,
  });
  receiver.on("message", (context) => {
    if (context.message && context.delivery)
      received.push({ message: context.message, delivery: context.delivery });
  });
  await withTimeout(
    new Promise<void>((resolve) => receiver.once("receiver_open", () => resolve())),
    5_000,
    "the queue link",
  );
  return { connection, receiver, received };
}

async function sendTo(connection: Connection, queue: string, message: Message): Promise<void> {
  const sender = connection.open_sender({ target: { address: `/queue/${queue}` } });
  await withTimeout(
    new Promise<void>((resolve) => sender.once("sendable", () => resolve())),
    5_000,
    "the DLQ link",
  );
  await withTimeout(
    new Promise<void>((resolve) => {
      sender.send(message);
      sender.once("accepted", () => resolve());
    }),
    5_000,
    "the DLQ to accept",
  );
  sender.close();
}

interface SourceOptions {
  queue: string;
  batchSize?: number;
  /** Delivery attempts before a message goes to `<queue>.dlq`. */
  maxDeliveries: number;
}

/** The poll loop both stand-ins share; `invoke` calls the front, throwing = failed. */
async function queueSource(
  options: SourceOptions,
  invoke: (batch: Held[], deliveries: (id: string) => number) => Promise<void>,
): Promise<QueueEventSource> {
  const { connection, receiver, received } = await openQueue(options.queue);
  const invocations: QueueEventSource["invocations"] = [];
  const deadLettered: string[] = [];
  const deliveries = new Map<string, number>();
  const batchSize = options.batchSize ?? 10;
  /**
   * The next batch: what arrives within `waitMs`, and at least the `released` messages of the
   * last batch (the broker hands them back, late on a busy machine) unless `deadline` passes.
   */
  const takeBatch = async (waitMs: number, released: number, deadline: number): Promise<Held[]> => {
    receiver.add_credit(batchSize - received.length);
    const until = Date.now() + waitMs;
    const expected = Math.min(released, batchSize);
    while (
      received.length < batchSize &&
      (Date.now() < until || (received.length < expected && Date.now() < deadline))
    )
      await new Promise((r) => setTimeout(r, 10));
    return received.splice(0, batchSize);
  };
  return {
    invocations,
    deadLettered,
    async pollUntilEmpty({ quietMs = 300, timeoutMs = 20_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      let released = 0;
      while (Date.now() < deadline) {
        const batch = await takeBatch(quietMs, released, deadline);
        if (batch.length === 0) return;
        released = 0;
        for (const held of batch) {
          const id = messageIdOf(held.message);
          deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
        }
        let failed = false;
        let error: string | undefined;
        try {
          await invoke(batch, (id) => deliveries.get(id) ?? 0);
        } catch (e) {
          failed = true;
          error = e instanceof Error ? e.message : String(e);
        }
        invocations.push({ size: batch.length, failed, ...(error === undefined ? {} : { error }) });
        for (const held of batch) {
          const id = messageIdOf(held.message);
          if (!failed) held.delivery.accept();
          else if ((deliveries.get(id) ?? 0) >= options.maxDeliveries) {
            await sendTo(connection, `${options.queue}.dlq`, held.message);
            deadLettered.push(id);
            held.delivery.accept();
          } else {
            held.delivery.release();
            released++;
          }
        }
      }
      throw new Error(`queue ${options.queue} did not drain within ${timeoutMs} ms`);
    },
    async close() {
      receiver.close();
      connection.close();
    },
  };
}

function lambdaContext(): Context {
  const deadline = Date.now() + 60_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "invoice-sending",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:invoice-sending",
    memoryLimitInMB: "512",
    awsRequestId: randomUUID(),
    logGroupName: "/aws/lambda/invoice-sending",
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** The event the Lambda ESM would send for these ActiveMQ messages (AMQP mapped to JMS). */
export function amazonMqEventOf(
  batch: Message[],
  queue: string,
  deliveries: (id: string) => number,
): AmazonMqEvent {
  const brokerId = "b-0f5b7522-2b41-4f85-a615-735a4e6d96b5";
  return {
    eventSource: "aws:mq",
    eventSourceArn: `arn:aws:mq:eu-west-1:123456789012:broker:amqp-mesh:${brokerId}`,
    messages: batch.map((message): AmazonMqMessage => {
      const id = messageIdOf(message);
      const now = Date.now();
      return {
        // ActiveMQ's AMQP transport keeps a string AMQP message id behind this marker.
        messageID: `ID:AMQP_NO_PREFIX:${id}`,
        messageType: "jms/bytes-message",
        timestamp: message.creation_time instanceof Date ? message.creation_time.getTime() : now,
        deliveryMode: message.durable ? 2 : 1,
        correlationID: message.correlation_id === undefined ? "" : String(message.correlation_id),
        replyTo: "null",
        destination: { physicalName: queue },
        redelivered: deliveries(id) > 1,
        type: message.subject ?? "",
        expiration: 0,
        priority: 4,
        data: bodyBytes(message).toString("base64"),
        brokerInTime: now,
        brokerOutTime: now,
        properties: { ...stringProperties(message), JMSXDeliveryCount: String(deliveries(id)) },
      };
    }),
  };
}

export async function amazonMqEventSource(
  options: SourceOptions & { handler: (event: unknown, context: Context) => Promise<unknown> },
): Promise<QueueEventSource> {
  return queueSource(options, async (batch, deliveries) => {
    const event = amazonMqEventOf(
      batch.map((h) => h.message),
      options.queue,
      deliveries,
    );
    // Lambda hands the function JSON: what it gets went through JSON.
    await options.handler(JSON.parse(JSON.stringify(event)), lambdaContext());
  });
}

/** The messages and metadata the Functions host gives a `cardinality: "many"` Service Bus trigger. */
export function serviceBusBatchOf(batch: Message[], deliveries: (id: string) => number) {
  const bodies = batch.map((message) => {
    const text = bodyBytes(message).toString("utf8");
    // The worker hands JSON bodies parsed, others as text.
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  });
  const now = new Date().toISOString();
  const triggerMetadata = {
    messageIdArray: batch.map(messageIdOf),
    deliveryCountArray: batch.map((m) => deliveries(messageIdOf(m))),
    contentTypeArray: batch.map((m) => m.content_type ?? null),
    correlationIdArray: batch.map((m) =>
      m.correlation_id === undefined ? null : String(m.correlation_id),
    ),
    subjectArray: batch.map((m) => m.subject ?? null),
    applicationPropertiesArray: batch.map((m) => ({ ...(m.application_properties ?? {}) })),
    enqueuedTimeUtcArray: batch.map(() => now),
    sequenceNumberArray: batch.map((_, i) => i + 1),
  };
  return { bodies, triggerMetadata };
}

export async function serviceBusTriggerSource(
  options: SourceOptions & {
    handler: (messages: unknown, context: InvocationContext) => Promise<unknown>;
  },
): Promise<QueueEventSource> {
  return queueSource(options, async (batch, deliveries) => {
    const { bodies, triggerMetadata } = serviceBusBatchOf(
      batch.map((h) => h.message),
      deliveries,
    );
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName: "invoice-sending-queue",
      triggerMetadata: JSON.parse(JSON.stringify(triggerMetadata)),
      logHandler: () => {},
    });
    await options.handler(JSON.parse(JSON.stringify(bodies)), context);
  });
}
