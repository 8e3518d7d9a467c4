/**
 * What identifies a message for de-duplication: its channel, its producer and its message id.
 * A message id alone is whatever its producer chose, so one producer could make another's
 * message look done; the producer is the AMQP user-id (routers with a vhost policy verify it)
 * when the message carries one. Messages through the ingress carry ids already scoped to
 * the calling principal (`<principal>/<id>`, shared/ingress/message-id.ts). The routers never
 * stamp a user-id (qdrouterd 1.19.0, skupper-router 3.5.1): a message with none — a direct
 * producer that sets none, every queue event — has no producer anyone verified, so its key
 * also holds a digest of its body: a resend or redelivery (the same bytes) is still the same
 * message, and another producer's message under the same id is not (see
 * shared/trigger/README.md, "What the key's producer part is").
 */
import { createHash } from "node:crypto";
import { addressSegments } from "../registry/index.ts";

/**
 * One string per (channel, producer, message id[, content digest]); the JSON array keeps the
 * parts apart.
 */
export function messageIdempotencyKey(
  channel: string,
  producer: string | undefined,
  messageId: string,
  contentDigest?: string,
): string {
  return JSON.stringify([
    addressSegments(channel).join("/"),
    producer ?? null,
    messageId,
    ...(contentDigest === undefined ? [] : [contentDigest]),
  ]);
}

/** What of a trigger record its key is made of. */
export interface KeyedRecord {
  producer?: string | undefined;
  messageId: string;
  body: string;
  bodyEncoding: "utf8" | "base64";
}

/**
 * The key of a record as the triggers receive it: channel, verified producer and message id;
 * without a verified producer, also the SHA-256 of the body's bytes.
 */
export function recordIdempotencyKey(channel: string, record: KeyedRecord): string {
  if (record.producer !== undefined)
    return messageIdempotencyKey(channel, record.producer, record.messageId);
  const bytes = Buffer.from(record.body, record.bodyEncoding === "base64" ? "base64" : "utf8");
  const digest = `sha256:${createHash("sha256").update(bytes).digest("base64url")}`;
  return messageIdempotencyKey(channel, undefined, record.messageId, digest);
}
