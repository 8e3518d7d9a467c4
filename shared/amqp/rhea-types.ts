/**
 * The one place that touches rhea's loosely typed objects. Everything else in the client
 * sees these narrow interfaces, so `any` never leaks past this file.
 */
import { randomUUID } from "node:crypto";
import type { Writable } from "node:stream";
import rhea from "rhea";

/**
 * rhea decodes every empty list (AMQP list0) as one shared array, and its composite types
 * write their fields into the list they were decoded from: once an empty described list has
 * been written to (the router emulator sets a decoded empty terminus's address), every empty
 * list decoded later in the process carries those values (a management request's
 * `attributeNames: []` arrived as 11 nulls). Each decode gets an array of its own.
 */
function decodeEmptyListsAfresh(): void {
  type Typed = { value: unknown };
  const types = (rhea as unknown as { types: { by_code: Record<number, { create(): Typed }> } })
    .types;
  const list0 = types.by_code[0x45];
  if (!list0) return;
  const create = list0.create;
  list0.create = () => {
    const typed = create();
    typed.value = [];
    return typed;
  };
}
decodeEmptyListsAfresh();

/**
 * rhea encodes every frame and every message into a fresh zero-filled Buffer.alloc(1024):
 * an ArrayBuffer of its own outside Node's pool, which the GC then chases (~40% of the time
 * of an encode, 2 per publish). The same zero-filled bytes come from the pool.
 */
function encodeIntoPooledBuffers(): void {
  type WriterConstructor = { new (buffer?: Buffer): unknown; prototype: object };
  const types = (rhea as unknown as { types: { Writer: WriterConstructor } }).types;
  const Writer = types.Writer;
  function PooledWriter(this: unknown, buffer?: Buffer): void {
    Reflect.apply(Writer, this, [buffer ?? Buffer.allocUnsafe(1024).fill(0)]);
  }
  PooledWriter.prototype = Writer.prototype;
  types.Writer = PooledWriter as unknown as WriterConstructor;
}
encodeIntoPooledBuffers();

export interface AmqpErrorFields {
  condition?: string | undefined;
  description?: string | undefined;
}

export type Outcome =
  | { kind: "accepted" }
  | { kind: "released" }
  | { kind: "modified"; deliveryFailed: boolean; undeliverableHere: boolean }
  | { kind: "rejected"; condition: string | undefined; description: string | undefined }
  | { kind: "unknown" };

export interface RheaDelivery {
  readonly id: number;
  readonly settled: boolean;
  readonly remote_settled: boolean;
  readonly remote_state?: unknown;
  update(settled: boolean, state?: unknown): void;
  accept(): void;
  release(params?: { delivery_failed?: boolean; undeliverable_here?: boolean }): void;
  reject(error?: AmqpErrorFields): void;
  modified(params?: { delivery_failed?: boolean; undeliverable_here?: boolean }): void;
}

export interface RheaEventContext {
  delivery?: RheaDelivery;
  message?: RawMessage;
  error?: unknown;
}

type Listener = (context: RheaEventContext) => void;

export interface RheaLink {
  readonly credit: number;
  readonly delivery_count: number;
  readonly error?: AmqpErrorFields | undefined;
  on(event: string, listener: Listener): unknown;
  removeAllListeners(): unknown;
  is_open(): boolean;
  is_closed(): boolean;
  close(error?: AmqpErrorFields): void;
}

export interface RheaSender extends RheaLink {
  sendable(): boolean;
  send(payload: Buffer, tag: undefined, format: 0): RheaDelivery;
  /** Gives the remaining credit back when the peer asked to drain (rhea waits to be told). */
  set_drained(drained: boolean): void;
}

export interface RheaReceiver extends RheaLink {
  /** The source of the peer's attach; read it through attachedSource(). */
  readonly source?: unknown;
  add_credit(credit: number): void;
  drain_credit(): void;
}

export interface RheaSession {
  readonly error?: AmqpErrorFields | Error | undefined;
  on(event: string, listener: Listener): unknown;
  begin(): void;
  close(): void;
  attach_sender(options: Record<string, unknown>): RheaSender;
  attach_receiver(options: Record<string, unknown>): RheaReceiver;
}

export interface RheaConnection {
  readonly error?: AmqpErrorFields | undefined;
  on(event: string, listener: Listener): unknown;
  removeAllListeners(): unknown;
  create_session(): RheaSession;
  is_open(): boolean;
  is_closed(): boolean;
  close(error?: AmqpErrorFields): void;
  readonly socket?: { destroy(): void; end(): void } | undefined;
}

/**
 * rhea writes every frame to the socket at once: a syscall (and under TLS a record) per
 * transfer, disposition or flow frame. Corked until the event loop has run the I/O callbacks
 * at hand (setImmediate), the frames of everything that arrived together leave in one write:
 * the ingress publishing for 64 HTTP connections spent ~20% of its CPU in those writes.
 */
export function coalesceWrites(connection: RheaConnection): void {
  const socket = (connection as { socket?: unknown }).socket as Writable | undefined;
  if (socket === undefined || typeof socket.cork !== "function") return;
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function (this: Writable, ...args: Parameters<Writable["write"]>) {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    return write.apply(this, args);
  } as Writable["write"];
}

/**
 * The source the peer's attach carried, or undefined when it carried none — a refusal
 * (AMQP 1.0 §2.6.3). rhea keeps a decoded null field as a typed null object, not as null.
 */
export function attachedSource(link: RheaReceiver): { address?: unknown } | undefined {
  const source = link.source as { address?: unknown; type?: { name?: unknown } } | null | undefined;
  if (source === null || source === undefined || typeof source !== "object") return undefined;
  return source.type?.name === "Null" ? undefined : source;
}

/** A message as rhea encodes and decodes it (only the fields the client uses). */
export interface RawMessage {
  message_id?: unknown;
  correlation_id?: unknown;
  subject?: unknown;
  reply_to?: unknown;
  content_type?: unknown;
  content_encoding?: unknown;
  creation_time?: unknown;
  absolute_expiry_time?: unknown;
  ttl?: unknown;
  durable?: unknown;
  delivery_count?: unknown;
  application_properties?: unknown;
  message_annotations?: unknown;
  body?: unknown;
}

/** What rhea's session keeps for the deliveries it receives (only what the guard reads). */
interface IncomingDispositions {
  /** Deliveries settled or updated locally since rhea last wrote dispositions. */
  updated: Array<{ settled: boolean; state?: unknown }>;
  process(session: unknown): void;
}

const dispositionGuarded = new WeakSet<object>();

/**
 * Opens a session for receiver links. rhea (3.0.x, `write_dispositions` in session.js)
 * writes the updates of one tick as disposition ranges and compares a delivery's outcome
 * with the range's only when the range already holds two deliveries: `accepted` for N and
 * `rejected` for N+1 go out as ONE `accepted` range, so the sender never learns of the
 * rejection (and a `rejected` followed by an `accepted` rejects both). Consumers settle
 * that close together whenever handlers run concurrently, so every receiver session the
 * client opens goes through here.
 */
export function beginReceiverSession(connection: RheaConnection): RheaSession {
  const session = connection.create_session();
  guardDispositionRanges(session);
  session.begin();
  return session;
}

/**
 * Makes rhea write a session's dispositions in batches it cannot merge wrongly: a batch is
 * either consecutive `accepted` updates with the same settled flag (rhea still splits those
 * where delivery ids are not contiguous) or a single update. The common case — a tick of
 * accepts only — passes through untouched. Idempotent per session.
 */
export function guardDispositionRanges(session: unknown): void {
  const incoming = (session as { incoming?: IncomingDispositions } | undefined)?.incoming;
  if (!incoming || typeof incoming.process !== "function" || dispositionGuarded.has(incoming))
    return;
  dispositionGuarded.add(incoming);
  const writeBatch = incoming.process;
  incoming.process = function processGuarded(this: IncomingDispositions, s: unknown): void {
    const updates = this.updated;
    if (updates.length < 2 || batchesSafely(updates, 0, updates.length)) {
      writeBatch.call(this, s);
      return;
    }
    let start = 0;
    for (let i = 1; i <= updates.length; i++) {
      if (i < updates.length && batchesSafely(updates, i - 1, i + 1)) continue;
      this.updated = updates.slice(start, i);
      writeBatch.call(this, s);
      start = i;
    }
  };
}

/** Whether updates[from, to) may share one disposition range: all accepted, same settled. */
function batchesSafely(
  updates: IncomingDispositions["updated"],
  from: number,
  to: number,
): boolean {
  const settled = updates[from]?.settled;
  for (let i = from; i < to; i++) {
    const update = updates[i];
    if (update === undefined || update.settled !== settled || !isAccepted(update.state)) {
      return false;
    }
  }
  return true;
}

/** rhea's described outcome for `accepted` (descriptor 0x24), as rhea itself checks it. */
function isAccepted(state: unknown): boolean {
  if (typeof state !== "object" || state === null) return false;
  const descriptor = (state as { descriptor?: { value?: unknown } }).descriptor;
  return descriptor?.value === 0x24;
}

/** A fresh container so ids and listeners never leak between clients. */
export function createContainer(id: string | undefined): {
  connect(options: Record<string, unknown>): RheaConnection;
} {
  const container = rhea.create_container(id === undefined ? {} : { id });
  // Safety net: rhea emits unhandled link/session errors on the container, and an
  // EventEmitter 'error' without a listener throws inside rhea's frame processing. The
  // client handles those on the session and link themselves.
  container.on("error", () => {});
  return {
    connect: (options) =>
      container.connect(options as unknown as rhea.ConnectionOptions) as unknown as RheaConnection,
  };
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

export function encodeMessage(message: RawMessage): Buffer {
  return rhea.message.encode(message);
}

export function decodeMessage(buffer: Buffer): RawMessage {
  return rhea.message.decode(buffer) as RawMessage;
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

/** Reads a delivery's remote outcome (rhea marks outcome instances by constructor). */
export function outcomeOf(delivery: RheaDelivery): Outcome {
  const state = delivery.remote_state as
    | {
        constructor?: { composite_type?: unknown };
        delivery_failed?: unknown;
        undeliverable_here?: unknown;
        error?: unknown;
      }
    | undefined;
  switch (state?.constructor?.composite_type) {
    case "accepted":
      return { kind: "accepted" };
    case "released":
      return { kind: "released" };
    case "modified":
      return {
        kind: "modified",
        deliveryFailed: state?.delivery_failed === true,
        undeliverableHere: state?.undeliverable_here === true,
      };
    case "rejected":
      return { kind: "rejected", ...amqpErrorFields(state?.error) };
    default:
      return { kind: "unknown" };
  }
}

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
