/**
 * The client's one entry to rhea: rhea's own typings (re-exported), the few run-time fields
 * its typings leave out (one accessor each), and the calls the client makes of it. rhea's
 * corrections live in rhea-patches.ts and are applied by createContainer().
 */
import { randomUUID } from "node:crypto";
import rhea, {
  type AmqpError,
  type Connection,
  type ConnectionOptions,
  type Delivery,
  type EventContext,
  type Message,
  type Receiver,
  type Sender,
  type Session,
} from "rhea";
import { guardDispositionRanges, patchRhea } from "./rhea-patches.ts";

export type {
  AmqpError,
  Connection,
  ConnectionOptions,
  Delivery,
  EventContext,
  Message,
  Receiver,
  Sender,
  Session,
};

/** rhea's link state its typings leave out: credit and (for a sender) deliveries sent. */
interface LinkCounters {
  readonly credit: number;
  readonly delivery_count: number;
}

/** The link credit rhea holds for a link (the peer's grant, less what was used). */
export function creditOf(link: Sender | Receiver): number {
  return (link as unknown as LinkCounters).credit;
}

/** Deliveries a sender has transmitted on its link (rhea's delivery-count). */
export function deliveryCountOf(link: Sender): number {
  return (link as unknown as LinkCounters).delivery_count;
}

/**
 * Opens a session for receiver links: rhea alone may merge the outcomes of deliveries
 * settled in the same tick (rhea-patches.ts guardDispositionRanges), and consumers settle
 * that close together whenever handlers run concurrently.
 */
export function beginReceiverSession(connection: Connection): Session {
  const session = connection.create_session();
  guardDispositionRanges(session);
  session.begin();
  return session;
}

/**
 * The source the peer's attach carried, or undefined when it carried none — a refusal
 * (AMQP 1.0 §2.6.3). rhea keeps a decoded null field as a typed null object, not as null.
 */
export function attachedSource(link: Receiver): { address?: unknown } | undefined {
  const source = link.source as { address?: unknown; type?: { name?: unknown } } | null | undefined;
  if (source === null || source === undefined || typeof source !== "object") return undefined;
  return source.type?.name === "Null" ? undefined : source;
}

/** A fresh container (rhea patched first) so ids and listeners never leak between clients. */
export function createContainer(id: string | undefined): {
  connect(options: ConnectionOptions): Connection;
} {
  patchRhea();
  const container = rhea.create_container(id === undefined ? {} : { id });
  // Safety net: rhea emits unhandled link/session errors on the container, and an
  // EventEmitter 'error' without a listener throws inside rhea's frame processing. The
  // client handles those on the session and link themselves.
  container.on("error", () => {});
  return { connect: (options) => container.connect(options) };
}

export function saslMechanisms(
  sasl: { mechanism: "ANONYMOUS" | "PLAIN" | "EXTERNAL"; username?: string | undefined },
  password: string | undefined,
): unknown {
  const mechanisms = rhea.sasl.client_mechanisms() as unknown as {
    enable_anonymous(name?: string): void;
    enable_plain(username: string, password: string): void;
    enable_external(): void;
  };
  if (sasl.mechanism === "PLAIN") mechanisms.enable_plain(sasl.username ?? "", password ?? "");
  else if (sasl.mechanism === "EXTERNAL") mechanisms.enable_external();
  else mechanisms.enable_anonymous(sasl.username ?? "anonymous");
  return mechanisms;
}

/** Encodes a message (a message without a body section is one too: `body` may be absent). */
export function encodeMessage(message: Partial<Message>): Buffer {
  return rhea.message.encode(message);
}

export function decodeMessage(buffer: Buffer): Message {
  return rhea.message.decode(buffer) as unknown as Message;
}

/** An AMQP data section body. */
export function dataSection(bytes: Buffer): unknown {
  return rhea.message.data_section(bytes);
}

/** Bytes of a data-section body as rhea decodes it, or undefined for other body kinds. */
export function dataSectionBytes(body: unknown): Buffer | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const section = body as { typecode?: unknown; content?: unknown; multiple?: unknown };
  if (section.typecode !== 0x75) return undefined;
  if (section.multiple === true && Array.isArray(section.content)) {
    return Buffer.concat(section.content.filter((c): c is Buffer => Buffer.isBuffer(c)));
  }
  return Buffer.isBuffer(section.content) ? section.content : Buffer.alloc(0);
}

/** The condition and description of an AMQP error as text (undefined where it has none). */
export function amqpErrorFields(error: unknown): {
  condition: string | undefined;
  description: string | undefined;
} {
  if (typeof error !== "object" || error === null) {
    return { condition: undefined, description: undefined };
  }
  const e = error as { condition?: unknown; description?: unknown };
  return {
    condition: e.condition === undefined || e.condition === null ? undefined : String(e.condition),
    description:
      e.description === undefined || e.description === null ? undefined : String(e.description),
  };
}

/** Random UUID for message ids (node's is far cheaper than rhea's). */
export function generateUuid(): string {
  return randomUUID();
}

/** Wraps an integer as an AMQP long (rhea would pick uint/int from the value otherwise). */
export function amqpLong(value: number): unknown {
  return rhea.types.wrap_long(value);
}
