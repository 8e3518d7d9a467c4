/**
 * One reader for every media type the mesh reads (HTTP Content-Type, AMQP content-type,
 * CloudEvents datacontenttype): node:util's MIMEType, which follows the quoting rules of
 * RFC 9110 — `foo="a;charset=latin1"` is one parameter, not a charset — instead of splits
 * on ";" that read a quoted value as parameters of their own.
 */
import { MIMEType } from "node:util";

/** A media type as the mesh uses it: lower-case essence (`type/subtype`) and charset. */
export interface MediaType {
  essence: string;
  charset: string | undefined;
}

export type MediaTypeReading = { ok: true; media: MediaType } | { ok: false; reason: string };

/** The last value read: a consumer sees the same content type on message after message. */
let last: { value: string; reading: MediaTypeReading } | undefined;

/** `type/subtype; name=value…` → essence and charset, or why it is not a media type. */
export function readMediaType(value: string): MediaTypeReading {
  if (last !== undefined && last.value === value) return last.reading;
  let reading: MediaTypeReading;
  try {
    const mime = new MIMEType(value);
    const charset = mime.params.get("charset");
    reading = {
      ok: true,
      media: {
        essence: mime.essence,
        charset: charset === null ? undefined : charset.toLowerCase(),
      },
    };
  } catch (error) {
    reading = { ok: false, reason: whyNotMediaType(error) };
  }
  last = { value, reading };
  return reading;
}

/** MIMEType's message names the part that is wrong; said without echoing the value again. */
function whyNotMediaType(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const part = /for a (type|subtype)\b/.exec(message)?.[1];
  if (part === "type") return "the type (before '/') is missing or not a token";
  if (part === "subtype") return "the subtype (after '/') is missing or not a token";
  return "it is not of the form type/subtype; name=value";
}

/** The lower-case essence of a content type; undefined when absent or not a media type. */
export function mediaEssence(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const reading = readMediaType(contentType);
  return reading.ok ? reading.media.essence : undefined;
}

/** application/json or any `+json` structured syntax suffix (application/cloudevents+json…). */
export function isJsonEssence(essence: string | undefined): boolean {
  return essence === "application/json" || (essence?.endsWith("+json") ?? false);
}

/** Whether a content type (with parameters) names JSON. */
export function isJsonContentType(contentType: string | undefined): boolean {
  return isJsonEssence(mediaEssence(contentType));
}
