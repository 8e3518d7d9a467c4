/**
 * Publishing from a function: through the shared client to the region's edge routers, the
 * payload checked against the target channel's schema first, delivery as the channel says.
 * Any function (a trigger, a timer) gets one with `channelPublisher(client, catalog)`.
 */

import {
  type JsonValue,
  type MeshMessage,
  type PublishOptions,
  type PublishResult,
  toAmqpMessage,
} from "../amqp/index.ts";
import type { ChannelCatalog } from "./catalog.ts";
import type { PublishFromFunctionOptions } from "./definition.ts";
import { PublishPayloadInvalidError, UnknownChannelError } from "./errors.ts";

/** What the publisher needs of the shared client (MeshClient has it). */
export interface MessageSender {
  publish(address: string, message: MeshMessage, options?: PublishOptions): Promise<PublishResult>;
}

export type ChannelPublish = (
  channel: string,
  /** Any JSON-serializable value (checked against the channel's schema). */
  payload: unknown,
  options?: PublishFromFunctionOptions,
) => Promise<PublishResult>;

export function channelPublisher(
  sender: MessageSender,
  catalog: ChannelCatalog,
  remainingMs: () => number = () => Number.POSITIVE_INFINITY,
): ChannelPublish {
  return async (address, payload, options = {}) => {
    const channel = catalog.channel(address);
    if (channel === undefined) throw new UnknownChannelError(address, catalog.digest);
    const violations = channel.check(payload);
    if (violations.length > 0) throw new PublishPayloadInvalidError(address, violations);
    const cause = options.causedBy;
    // Derived from the cause: a retried message publishes the same id, consumers deduplicate.
    const messageId = options.messageId ?? (cause ? `${cause.messageId}:${address}` : undefined);
    let message: MeshMessage;
    if (options.cloudEvent !== undefined) {
      message = toAmqpMessage({
        specversion: "1.0",
        id: messageId ?? crypto.randomUUID(),
        source: options.cloudEvent.source,
        type: options.cloudEvent.type,
        ...(options.cloudEvent.subject === undefined
          ? {}
          : { subject: options.cloudEvent.subject }),
        datacontenttype: "application/json",
        time: new Date().toISOString(),
        data: payload as JsonValue,
      });
    } else {
      message = {
        body: payload as JsonValue,
        ...(messageId === undefined ? {} : { messageId }),
      };
    }
    if (options.subject !== undefined) message.subject = options.subject;
    if (cause !== undefined) message.correlationId = cause.messageId;
    if (options.properties !== undefined)
      message.applicationProperties = { ...message.applicationProperties, ...options.properties };
    const left = remainingMs() - 500;
    const deadline = Math.max(
      1,
      Math.min(options.deadlineMs ?? 10_000, Number.isFinite(left) ? left : 10_000),
    );
    return sender.publish(address, message, {
      deadline,
      delivery: channel.delivery,
      ...(cause === undefined ? {} : { traceContext: cause.trace.context }),
    });
  };
}
