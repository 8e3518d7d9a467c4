/** A registry channel as an AsyncAPI channel with its one message, bindings and dead letter. */
import type { RegisteredChannel } from "../registry/index.ts";
import type { Topology } from "../topology/index.ts";
import type { Channel, JsonSchema, Message } from "./asyncapi.ts";
import { MESSAGE_HEADERS } from "./headers.ts";
import { channelKey, MESSAGE_KEY, pointerToken } from "./ids.ts";
import { edgeRouters } from "./servers.ts";

/** How the delivery guarantee reads at the AMQP 1.0 link (sender settle mode). */
export function settlementOf(delivery: RegisteredChannel["delivery"]): string {
  return delivery === "at-least-once"
    ? "unsettled: the producer waits for the router's accepted disposition and resends on released/modified"
    : "pre-settled: sent once, lost if no consumer takes it";
}

export function messageOf(channel: RegisteredChannel): Message {
  const schema = channel.payloadSchema;
  return {
    name: channelKey(channel.address),
    title: `${channel.address} message`,
    summary: schema
      ? `A JSON payload valid against the channel's schema, at most ${channel.maxMessageSize} bytes.`
      : `Any payload (the channel has no schema), at most ${channel.maxMessageSize} bytes.`,
    ...(schema ? { contentType: "application/json" } : {}),
    headers: MESSAGE_HEADERS,
    // In AsyncAPI's default schema format (a superset of JSON Schema draft-07); the registry's
    // schemas name their own draft with `$schema`, kept as written.
    ...(schema ? { payload: schema } : {}),
    bindings: { amqp1: { "x-amqp-mesh-max-message-size": channel.maxMessageSize } },
  };
}

/** Channels whose dead letters go to `address`. */
function deadLetterSources(address: string, channels: readonly RegisteredChannel[]): string[] {
  const key = channelKey(address);
  return channels
    .filter((c) => c.deadLetter !== undefined && channelKey(c.deadLetter) === key)
    .map((c) => c.address);
}

export function channelOf(
  channel: RegisteredChannel,
  allChannels: readonly RegisteredChannel[],
  topology: Topology,
): Channel {
  const deadLetterOf = deadLetterSources(channel.address, allChannels);
  const notes = [
    channel.description,
    channel.deadLetter ? `Messages that fail for good go to ${channel.deadLetter}.` : "",
    deadLetterOf.length > 0 ? `Dead-letter channel of ${deadLetterOf.join(", ")}.` : "",
  ].filter((line) => line !== "");
  const servers =
    channel.environments === undefined
      ? undefined
      : edgeRouters(topology)
          .filter((router) => channel.environments?.includes(router.environment))
          .map((router) => ({ $ref: `#/servers/${pointerToken(router.id)}` }));
  const routing: JsonSchema =
    channel.routing.kind === "broker"
      ? {
          kind: "broker",
          broker: channel.routing.broker,
          queue: channel.routing.queue ?? channel.address,
        }
      : { kind: "message" };
  return {
    address: channel.address,
    title: channel.address,
    description: notes.join("\n\n"),
    messages: { [MESSAGE_KEY]: messageOf(channel) },
    ...(servers ? { servers } : {}),
    bindings: {
      amqp1: {
        "x-amqp-mesh-distribution": channel.distribution,
        "x-amqp-mesh-delivery": channel.delivery,
        "x-amqp-mesh-settlement": settlementOf(channel.delivery),
        "x-amqp-mesh-routing": routing,
        "x-amqp-mesh-reply-to": channel.replyTo,
      },
    },
    "x-amqp-mesh-owner": channel.owner,
    "x-amqp-mesh-version": channel.version,
    ...(channel.deadLetter ? { "x-amqp-mesh-dead-letter": channel.deadLetter } : {}),
    ...(deadLetterOf.length > 0 ? { "x-amqp-mesh-dead-letter-of": deadLetterOf } : {}),
  };
}
