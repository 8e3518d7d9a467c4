/** Keys of the AsyncAPI maps, derived from registry names so references stay stable. */
import { addressSegments } from "../registry/index.ts";

/**
 * A channel's key: its address segments joined by `.`. Two addresses with the same segments
 * are one channel for the router (and a duplicate for validation), so the key is unique.
 */
export function channelKey(address: string): string {
  return addressSegments(address).join(".");
}

/** The one message of a channel is keyed by this name inside the channel. */
export const MESSAGE_KEY = "payload";

export function channelRef(address: string): string {
  return `#/channels/${pointerToken(channelKey(address))}`;
}

export function messageRef(address: string): string {
  return `${channelRef(address)}/messages/${MESSAGE_KEY}`;
}

/** JSON pointer token escaping (RFC 6901): `~` → `~0`, `/` → `~1`. */
export function pointerToken(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** An operation's key: what, on which channel, by whom (party names may hold any character). */
export function operationKey(action: "send" | "receive", address: string, party: string): string {
  return `${action} ${channelKey(address)} by ${party}`;
}
