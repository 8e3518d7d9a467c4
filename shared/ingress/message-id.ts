/**
 * The message ids the ingress publishes, scoped to the caller: `<principal>/<caller's id>`
 * (the principal percent-encoded, so the first `/` ends it). A caller's id — its
 * Idempotency-Key, a CloudEvent's `id`, or a new UUID — is its own choice; under its
 * authenticated principal it can never be an id another caller's message has, so no caller
 * can make a consumer take another's message for a duplicate.
 */
import { randomUUID } from "node:crypto";
import type { BatchItem, PreparedMessage, PreparedRequest } from "./content.ts";

/** The id a caller's message travels with. */
export function callerScopedMessageId(principal: string, callerId: string | undefined): string {
  return `${encodeURIComponent(principal)}/${callerId ?? randomUUID()}`;
}

function scoped(prepared: PreparedMessage, principal: string): PreparedMessage {
  const messageId = callerScopedMessageId(principal, prepared.message.messageId);
  return { ...prepared, message: { ...prepared.message, messageId } };
}

/** Every message of a prepared request with its id scoped to `principal`. */
export function scopeMessageIds(request: PreparedRequest, principal: string): PreparedRequest {
  if (request.kind === "single")
    return { ...request, prepared: scoped(request.prepared, principal) };
  return {
    ...request,
    items: request.items.map(
      (item): BatchItem =>
        item.ok ? { ok: true, prepared: scoped(item.prepared, principal) } : item,
    ),
  };
}
