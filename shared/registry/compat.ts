import type { ChannelRegistry, RegisteredChannel } from "./model.ts";
import { addressKey } from "./prefix.ts";
import { findSchemaBreakingChanges, type SchemaChangeKind } from "./schema-compat.ts";

export type BreakingChangeKind =
  | "channel-removed"
  | "distribution-changed"
  | "delivery-changed"
  | "max-message-size-lowered"
  | "reply-to-removed"
  | "schema-added"
  | SchemaChangeKind;

export interface BreakingChange {
  kind: BreakingChangeKind;
  /** JSON pointer into the new payload schema ("" for the whole schema or the channel itself). */
  pointer: string;
  message: string;
}

export interface ChannelCompatibility {
  address: string;
  owner: string;
  previousVersion: number;
  /** Undefined when the channel was removed. */
  nextVersion?: number;
  versionRaised: boolean;
  /** A breaking change is allowed when the channel's version was raised with it. */
  allowed: boolean;
  changes: BreakingChange[];
}

function channelChanges(previous: RegisteredChannel, next: RegisteredChannel): BreakingChange[] {
  const changes: BreakingChange[] = [];
  for (const field of ["distribution", "delivery"] as const) {
    if (previous[field] === next[field]) continue;
    changes.push({
      kind: field === "distribution" ? "distribution-changed" : "delivery-changed",
      pointer: "",
      message: `${field} changed from ${previous[field]} to ${next[field]}`,
    });
  }
  if (next.maxMessageSize < previous.maxMessageSize) {
    changes.push({
      kind: "max-message-size-lowered",
      pointer: "",
      message: `maxMessageSize lowered from ${previous.maxMessageSize} to ${next.maxMessageSize} bytes`,
    });
  }
  if (previous.replyTo && !next.replyTo) {
    changes.push({
      kind: "reply-to-removed",
      pointer: "",
      message: "replyTo turned off: consumers may no longer send replies, requesters get none",
    });
  }
  const before = previous.payloadSchema ?? previous.schema;
  const after = next.payloadSchema ?? next.schema;
  if (after !== undefined && before === undefined) {
    changes.push({
      kind: "schema-added",
      pointer: "",
      message: "a payload schema was added; payloads were unchecked before",
    });
  } else if (after !== undefined) {
    changes.push(...findSchemaBreakingChanges(before, after));
  }
  return changes;
}

/**
 * Lists, per channel (matched by address), the changes from `previous` to `next` that can break
 * producers or consumers. Only channels with at least one breaking change are returned; a change
 * is `allowed` when the channel's version was raised with it. Never allowed: removing a channel.
 */
export function findBreakingChanges(
  previous: ChannelRegistry,
  next: ChannelRegistry,
): ChannelCompatibility[] {
  // Addresses with the same segments are the same channel (see sameAddress); first one wins.
  const nextByAddress = new Map<string, RegisteredChannel>();
  for (const channel of next.channels) {
    const key = addressKey(channel.address);
    if (!nextByAddress.has(key)) nextByAddress.set(key, channel);
  }
  const results: ChannelCompatibility[] = [];
  for (const before of previous.channels) {
    const after = nextByAddress.get(addressKey(before.address));
    if (after === undefined) {
      results.push({
        address: before.address,
        owner: before.owner,
        previousVersion: before.version,
        versionRaised: false,
        allowed: false,
        changes: [
          {
            kind: "channel-removed",
            pointer: "",
            message: `channel '${before.address}' was removed`,
          },
        ],
      });
      continue;
    }
    // The very same channel (a loader that kept an unchanged file gives both registries the
    // same object) has nothing to compare: a schema has no breaking change with itself.
    if (after === before) continue;
    const changes = channelChanges(before, after);
    if (changes.length === 0) continue;
    const versionRaised = after.version > before.version;
    results.push({
      address: before.address,
      owner: after.owner,
      previousVersion: before.version,
      nextVersion: after.version,
      versionRaised,
      allowed: versionRaised,
      changes,
    });
  }
  return results;
}
