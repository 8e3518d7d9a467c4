/**
 * Where amqp-mesh corrects rhea (3.0.x). Nothing here runs on import: the client
 * (`createContainer`, shared/amqp/rhea.ts) and the emulator (its listener) call
 * `patchRhea()` before they create a container, and open their receiver sessions and
 * connections through `guardDispositionRanges` / `coalesceWrites`. Each patch names the
 * upstream behaviour it corrects; each has a test that fails without it
 * (test/unit/amqp/rhea-patches.test.ts, disposition-guard.test.ts). When rhea fixes one,
 * its "rhea alone" test starts failing and the patch can go.
 *
 * | patch                      | scope            | rhea behaviour corrected                      |
 * |----------------------------|------------------|-----------------------------------------------|
 * | decodeEmptyListsAfresh     | process (rhea)   | types.js: every list0 decodes to ONE array    |
 * | encodeIntoPooledBuffers    | process (rhea)   | types.js Writer: Buffer.alloc(1024) per encode|
 * | guardDispositionRanges     | one session      | session.js write_dispositions merges outcomes |
 * | coalesceWrites             | one connection   | connection.js: a socket write per frame       |
 */
import type { Writable } from "node:stream";
import rhea, { type Connection } from "rhea";

let patched = false;

/**
 * Applies the process-wide patches to rhea's codec (idempotent). rhea keeps one codec per
 * process, so they hold for every rhea user in it, the client's and the emulator's alike.
 */
export function patchRhea(): void {
  if (patched) return;
  patched = true;
  decodeEmptyListsAfresh();
  encodeIntoPooledBuffers();
}

/** rhea's codec as it is at run time (its typings declare neither field). */
const codec = rhea.types as unknown as {
  by_code: Record<number, { create(): { value: unknown } } | undefined>;
  Writer: { new (buffer?: Buffer): unknown; prototype: object };
};

/**
 * rhea decodes every empty list (AMQP list0, 0x45) as one shared array, and its composite
 * types write their fields into the list they were decoded from: once an empty described
 * list has been written to (the router emulator sets a decoded empty terminus's address),
 * every empty list decoded later in the process carries those values (a management
 * request's `attributeNames: []` arrived as 11 nulls). Each decode gets an array of its own.
 */
function decodeEmptyListsAfresh(): void {
  const list0 = codec.by_code[0x45];
  if (!list0) return;
  const create = list0.create;
  list0.create = () => {
    const typed = create();
    typed.value = [];
    return typed;
  };
}

/**
 * rhea's Writer encodes every frame and every message into a fresh zero-filled
 * Buffer.alloc(1024): an ArrayBuffer of its own outside Node's pool, which the GC then
 * chases (~40% of the time of an encode, 2 per publish). The same zero-filled bytes come
 * from the pool.
 */
function encodeIntoPooledBuffers(): void {
  const Writer = codec.Writer;
  function PooledWriter(this: unknown, buffer?: Buffer): void {
    Reflect.apply(Writer, this, [buffer ?? Buffer.allocUnsafe(1024).fill(0)]);
  }
  PooledWriter.prototype = Writer.prototype;
  codec.Writer = PooledWriter as unknown as typeof Writer;
}

/**
 * Bytes held back before they leave anyway: one TLS record's worth (16 KiB, the most a record
 * carries). Holding a whole burst instead (a publisher with a full credit window: ~36 KB)
 * turned the link into stop-and-wait — the router idle while the burst was written, the
 * publisher idle while it was handled — and cost a quarter of the publish rate (issue 19:
 * 0.72× raw rhea, 0.92–1.05× with this limit, `test/bench/client.bench.ts`).
 */
export const COALESCE_LIMIT_BYTES = 16 * 1024;

/**
 * rhea writes every frame to the socket at once: a syscall (and under TLS a record) per
 * transfer, disposition or flow frame. Corked until the event loop has run the I/O callbacks
 * at hand (setImmediate), or until COALESCE_LIMIT_BYTES are held, the frames of everything
 * that arrived together leave in few writes: the ingress publishing for 64 HTTP connections
 * spent ~20% of its CPU in those writes.
 */
export function coalesceWrites(connection: Connection): void {
  const socket = connection.socket as Writable | undefined;
  if (socket === undefined || typeof socket.cork !== "function") return;
  const write = socket.write;
  let corked = false;
  let held = 0;
  const uncork = () => {
    if (!corked) return;
    corked = false;
    held = 0;
    socket.uncork();
  };
  socket.write = function (this: Writable, ...args: Parameters<Writable["write"]>) {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    const written = write.apply(this, args);
    const chunk = args[0] as { length?: number } | undefined;
    held += chunk?.length ?? 0;
    if (held >= COALESCE_LIMIT_BYTES) uncork();
    return written;
  } as Writable["write"];
}

/** What rhea's session keeps for the deliveries it receives (only what the guard reads). */
interface IncomingDispositions {
  /** Deliveries settled or updated locally since rhea last wrote dispositions. */
  updated: Array<{ settled: boolean; state?: unknown }>;
  process(session: unknown): void;
}

const dispositionGuarded = new WeakSet<object>();

/**
 * rhea (`write_dispositions` in session.js) writes the updates of one tick as disposition
 * ranges and compares a delivery's outcome with the range's only when the range already
 * holds two deliveries: `accepted` for N and `rejected` for N+1 go out as ONE `accepted`
 * range, so the sender never learns of the rejection (and a `rejected` followed by an
 * `accepted` rejects both). Consumers settle that close together whenever handlers run
 * concurrently, so every session that receives goes through here.
 *
 * The guard makes rhea write a session's dispositions in batches it cannot merge wrongly:
 * a batch is either consecutive `accepted` updates with the same settled flag (rhea still
 * splits those where delivery ids are not contiguous) or a single update. The common case
 * — a tick of accepts only — passes through untouched. Idempotent per session.
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
