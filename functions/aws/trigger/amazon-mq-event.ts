/**
 * The event a Lambda event source mapping for Amazon MQ (ActiveMQ) sends: `@types/aws-lambda`
 * has no type for it, so it is written here from AWS's documentation ("Using Lambda with
 * Amazon MQ", the example ActiveMQ record, and aws-lambda-go's `events.ActiveMQEvent`). The
 * documentation spells the correlation id `correlationId` in one example and `correlationID`
 * in another; both are read. `data` is the message body, base64-encoded; `properties` are
 * the JMS properties as strings (absent or null when the message has none).
 */
import * as z from "zod/mini";
import type { TriggerRecord } from "../../../shared/trigger/index.ts";

export interface AmazonMqDestination {
  physicalName: string;
}

export interface AmazonMqMessage {
  /** The JMS message id, e.g. `ID:b-…-1.mq.us-east-2.amazonaws.com-37557-…:1:1:1:1`. */
  messageID: string;
  /** `jms/text-message` or `jms/bytes-message`. */
  messageType: string;
  /** Milliseconds since the epoch the producer set. */
  timestamp?: number;
  /** 1 non-persistent, 2 persistent. */
  deliveryMode?: number;
  correlationID?: string | null;
  correlationId?: string | null;
  replyTo?: string | null;
  destination: AmazonMqDestination;
  /** True when the broker delivers the message again. */
  redelivered: boolean;
  type?: string | null;
  expiration?: number | string;
  priority?: number;
  /** The body, base64. */
  data: string;
  brokerInTime?: number;
  brokerOutTime?: number;
  properties?: Record<string, string> | null;
  connectionId?: string;
}

export interface AmazonMqEvent {
  /** `aws:mq` for ActiveMQ (RabbitMQ brokers send `aws:rmq` and another shape). */
  eventSource: "aws:mq";
  /** arn:aws:mq:<region>:<account>:broker:<name>:<broker id> */
  eventSourceArn: string;
  messages: AmazonMqMessage[];
}

const nullableString = z.optional(z.nullable(z.string()));

const amazonMqMessageSchema = z.object({
  messageID: z.string().check(z.minLength(1)),
  messageType: z.string(),
  timestamp: z.optional(z.number()),
  deliveryMode: z.optional(z.number()),
  correlationID: nullableString,
  correlationId: nullableString,
  replyTo: nullableString,
  destination: z.object({ physicalName: z.string() }),
  redelivered: z.boolean(),
  type: nullableString,
  expiration: z.optional(z.union([z.number(), z.string()])),
  priority: z.optional(z.number()),
  data: z.string(),
  brokerInTime: z.optional(z.number()),
  brokerOutTime: z.optional(z.number()),
  properties: z.optional(z.nullable(z.record(z.string(), z.string()))),
  connectionId: z.optional(z.string()),
});

export const amazonMqEventSchema = z.object({
  eventSource: z.literal("aws:mq"),
  eventSourceArn: z.string(),
  messages: z.array(amazonMqMessageSchema).check(z.minLength(1)),
});

export function isAmazonMqEvent(event: unknown): boolean {
  return (
    typeof event === "object" &&
    event !== null &&
    (event as { eventSource?: unknown }).eventSource === "aws:mq"
  );
}

/** The event is not what Amazon MQ sends; names the fields. */
export class AmazonMqEventError extends Error {
  constructor(issues: readonly string[]) {
    super(`not an Amazon MQ (ActiveMQ) event: ${issues.join("; ")}`);
    this.name = "AmazonMqEventError";
  }
}

export function parseAmazonMqEvent(event: unknown): AmazonMqEvent {
  const result = amazonMqEventSchema.safeParse(event);
  if (!result.success)
    throw new AmazonMqEventError(
      result.error.issues.map((i) => `${i.path.join(".") || "(event)"}: ${i.message}`),
    );
  return result.data as AmazonMqEvent;
}

/**
 * ActiveMQ's AMQP transport keeps an AMQP string message id as the JMS message id behind
 * `ID:` and a type marker (assumed from ActiveMQ's AMQP–JMS id mapping; not run here): the
 * mesh's idempotency key is what follows. Other ids are used whole.
 */
const AMQP_ID_PREFIXES = ["ID:AMQP_NO_PREFIX:", "ID:AMQP_STRING:"];

export function meshMessageId(jmsMessageId: string): string {
  for (const prefix of AMQP_ID_PREFIXES)
    if (jmsMessageId.startsWith(prefix) && jmsMessageId.length > prefix.length)
      return jmsMessageId.slice(prefix.length);
  return jmsMessageId;
}

/** The JMS delivery count, when the broker sets it; else 1, or 2 for a redelivery. */
function attemptOf(message: AmazonMqMessage): number {
  const count = Number(message.properties?.JMSXDeliveryCount);
  if (Number.isSafeInteger(count) && count >= 1) return count;
  return message.redelivered ? 2 : 1;
}

/** The event's messages as trigger records (ids: the JMS message ids). */
export function recordsOfAmazonMqEvent(event: AmazonMqEvent): TriggerRecord[] {
  return event.messages.map((message) => {
    const correlationId = message.correlationID ?? message.correlationId;
    return {
      id: message.messageID,
      messageId: meshMessageId(message.messageID),
      attempt: attemptOf(message),
      body: message.data,
      bodyEncoding: "base64",
      ...(correlationId ? { correlationId } : {}),
      ...(message.type ? { subject: message.type } : {}),
      properties: { ...(message.properties ?? {}) },
    };
  });
}
