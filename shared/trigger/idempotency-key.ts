/**
 * What identifies a message for de-duplication: its channel, its producer and its message id.
 * A message id alone is whatever its producer chose, so one producer could make another's
 * message look done; the producer is the AMQP user-id (routers with a vhost policy verify it)
 * when the message carries one. Messages through the ingress carry ids already scoped to
 * the calling principal (`<principal>/<id>`, shared/ingress/message-id.ts). The routers never
 * stamp a user-id (qdrouterd 1.19.0, skupper-router 3.5.1): direct producers that set none,
 * and queue events, are keyed with producer null — one id space shared by the channel's
 * registered producers (see shared/trigger/README.md, "What the key's producer part is").
 */
import { addressSegments } from "../registry/index.ts";

/** One string per (channel, producer, message id); the JSON array keeps the parts apart. */
export function messageIdempotencyKey(
  channel: string,
  producer: string | undefined,
  messageId: string,
): string {
  return JSON.stringify([addressSegments(channel).join("/"), producer ?? null, messageId]);
}
