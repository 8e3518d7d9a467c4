/** A channel's producers as `send` operations and its consumers as `receive` operations. */
import type { ChannelRegistry, RegisteredChannel } from "../registry/index.ts";
import type { Operation } from "./asyncapi.ts";
import { settlementOf } from "./channels.ts";
import { channelRef, messageRef, operationKey } from "./ids.ts";
import { describeParty, partyOf } from "./parties.ts";

export function operationsOf(
  channel: RegisteredChannel,
  registry: ChannelRegistry,
): Record<string, Operation> {
  const operations: Record<string, Operation> = {};
  const add = (action: Operation["action"], names: readonly string[]) => {
    for (const name of names) {
      const party = partyOf(name, registry);
      const verb = action === "send" ? "publishes to" : "consumes from";
      operations[operationKey(action, channel.address, name)] = {
        action,
        title: `${name} ${verb} ${channel.address}`,
        summary: `${describeParty(party)} ${verb} ${channel.address}.`,
        channel: { $ref: channelRef(channel.address) },
        messages: [{ $ref: messageRef(channel.address) }],
        bindings: { amqp1: { "x-amqp-mesh-settlement": settlementOf(channel.delivery) } },
        "x-amqp-mesh-party": {
          name,
          kind: party.kind,
          ...(party.team ? { team: party.team } : {}),
          principals: party.principals,
        },
      };
    }
  };
  add("send", channel.producers);
  add("receive", channel.consumers);
  return operations;
}
