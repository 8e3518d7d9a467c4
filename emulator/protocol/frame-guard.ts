/**
 * What a proton-based router does with bytes that are not AMQP, as seen from the peer
 * (qdrouterd 1.19.0 and skupper-router 3.5.1, run here with raw sockets):
 * - a protocol header that is not AMQP 1.0 — judged from the first byte that differs, so
 *   `GET` is refused at once — gets `AMQP 0 1 0 0`, an `open` and a `close` with
 *   `amqp:connection:framing-error` "Unknown protocol detected: 'GET'", and the connection
 *   ends (proton's protocol sniffer);
 * - a frame the router cannot frame — a size above the router's max-frame-size, or once
 *   the frame is all there a data offset below 8 or past its end (so a size below 8;
 *   proton 0.37 framing.c pn_read_frame) — gets the router's header, an `open` and a `close` with
 *   `amqp:connection:framing-error` "malformed frame", and the connection ends;
 * - a well-framed frame whose body does not decode leaves the connection open and silent:
 *   the router answered the header and reads nothing more.
 * rhea does none of this on its own (it waits for the whole of an oversize frame and ends
 * the socket at once on a body it cannot decode, before writing its header), so the guard
 * sits between the socket and rhea's reader and passes on only what the router would read.
 * Frame bodies are decoded here only until the peer's `open` (the SASL exchange and the
 * open itself); after it frame headers alone are checked, which costs next to nothing.
 */
import type { Socket } from "node:net";
import { rhea } from "./rhea-internals.ts";

/** qdrouterd's default listener maxFrameSize, also what it announces in its open. */
export const DEFAULT_MAX_FRAME_SIZE = 16384;

const FRAME_HEADER_SIZE = 8;
/** The header a router announces to a peer with a wrong one (AMQP 0 1 0 0). */
const AMQP_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);
const OPEN_DESCRIPTOR = 0x10;
const CLOSE_DESCRIPTOR = 0x18;
const ERROR_DESCRIPTOR = 0x1d;

/**
 * rhea's codec at run time. rhea does not export its frame layer (lib/frames.js), so the few
 * frames the guard writes and reads are built on its public type codec (`rhea.types`).
 */
const codec = rhea.types as unknown as typeof rhea.types & {
  Writer: new () => { write(value: unknown): void; toBuffer(): Buffer };
  Reader: new (bytes: Buffer) => { read(): { descriptor?: { value?: unknown } } };
};

/** An AMQP frame (type 0) on channel 0 carrying `performative`: size, doff 2, type, channel. */
function amqpFrame(performative: unknown): Buffer {
  const writer = new codec.Writer();
  writer.write(performative);
  const body = writer.toBuffer();
  const header = Buffer.alloc(FRAME_HEADER_SIZE);
  header.writeUInt32BE(FRAME_HEADER_SIZE + body.length, 0);
  header[4] = 2;
  return Buffer.concat([header, body]);
}

/** A performative: its descriptor code over the list of its fields. */
function performative(code: number, fields: unknown[]): unknown {
  return codec.described(codec.wrap_ulong(code), codec.wrap_list(fields));
}

/** open + close(framing-error, description): how the router refuses bytes it cannot read. */
function framingError(description: string): Buffer {
  const error = performative(ERROR_DESCRIPTOR, [
    codec.wrap_symbol("amqp:connection:framing-error"),
    codec.wrap_string(description),
  ]);
  return Buffer.concat([
    amqpFrame(performative(OPEN_DESCRIPTOR, [codec.wrap_string("")])),
    amqpFrame(performative(CLOSE_DESCRIPTOR, [error])),
  ]);
}

const MALFORMED_FRAME = framingError("malformed frame");

/** Bytes as proton quotes them: printable ASCII as is, the rest as \xNN. */
function quoted(bytes: Buffer): string {
  let text = "";
  for (const byte of bytes) {
    text +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return text;
}

function unknownProtocol(seen: Buffer): Buffer {
  return Buffer.concat([AMQP_HEADER, framingError(`Unknown protocol detected: '${quoted(seen)}'`)]);
}

/**
 * Judges the start of a connection as proton's protocol sniffer does (autodetect.c): at 3
 * bytes at the earliest, refusing at the first byte no AMQP 1.0 header (plain or SASL)
 * could have. TLS on a plain listener counts as unknown here.
 */
function sniff(b: Buffer): "wait" | "amqp" | "unknown" {
  if (b.length < 3) return "wait";
  if (b[0] !== 0x41 || b[1] !== 0x4d || b[2] !== 0x51) return "unknown";
  if (b.length < 4) return "wait";
  if (b[3] !== 0x50) return "unknown";
  if (b.length < 5) return "wait";
  if (b[4]! > 3) return "unknown";
  if (b.length < 6) return "wait";
  if (b[5] !== 1) return "unknown";
  if (b.length < 8) return "wait";
  return (b[4] === 0 || b[4] === 3) && b[6] === 0 && b[7] === 0 ? "amqp" : "unknown";
}

/** Performative codes (small-ulong descriptors) an AMQP frame (type 0) may carry. */
const AMQP_PERFORMATIVES = new Set([0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18]);
/** ...and a SASL frame (type 1): mechanisms, init, challenge, response, outcome. */
const SASL_PERFORMATIVES = new Set([0x40, 0x41, 0x42, 0x43, 0x44]);

/**
 * Whether the body at `at` starts like a performative of the frame's type, from its first
 * bytes only (described type, small-ulong descriptor); other descriptor encodings pass.
 */
function plausiblePerformative(buf: Buffer, at: number, frameType: number): boolean {
  if (buf[at] !== 0x00) return false;
  if (buf[at + 1] !== 0x53) return true;
  const codes = frameType === 0 ? AMQP_PERFORMATIVES : SASL_PERFORMATIVES;
  return codes.has(buf[at + 2]!);
}

/** The performatives rhea's frame reader knows, by symbolic descriptor (AMQP 1.0 §2.7, §5.3). */
const PERFORMATIVE_NAMES = new Map<string, number>(
  ["open", "begin", "attach", "flow", "transfer", "disposition", "detach", "end", "close"].map(
    (name, i) => [`amqp:${name}:list`, 0x10 + i] as const,
  ),
);
for (const [i, name] of ["mechanisms", "init", "challenge", "response", "outcome"].entries()) {
  PERFORMATIVE_NAMES.set(`amqp:sasl-${name}:list`, 0x40 + i);
}

/**
 * Whether a whole frame's body decodes to a performative rhea's frame reader knows (of
 * either frame type, as rhea reads them), and whether it is an `open`.
 */
function decodeFrame(frame: Buffer): { ok: boolean; open: boolean } {
  try {
    const dataOffset = frame[4]! * 4;
    const value = new codec.Reader(frame.subarray(dataOffset)).read().descriptor?.value;
    const code =
      typeof value === "number"
        ? value
        : typeof value === "string"
          ? PERFORMATIVE_NAMES.get(value)
          : undefined;
    if (code === undefined || !(AMQP_PERFORMATIVES.has(code) || SASL_PERFORMATIVES.has(code)))
      return { ok: false, open: false };
    return { ok: true, open: code === OPEN_DESCRIPTOR };
  } catch {
    return { ok: false, open: false };
  }
}

/**
 * Puts the guard between `socket` and rhea's reader. Call it right after rhea accepted the
 * socket (its 'data' listener is in place): that listener is taken off and fed by the guard,
 * in runs of whole chunks where nothing is wrong.
 */
export function guardFraming(socket: Socket, maxFrameSize: number): void {
  const readers = socket.listeners("data") as Array<(chunk: Buffer) => void>;
  socket.removeAllListeners("data");
  const pass = (bytes: Buffer): void => {
    if (bytes.length > 0) for (const read of readers) read(bytes);
  };
  let headers = 0;
  let opened = false;
  /** Bytes not yet judged (a partial header or frame start), kept for the next chunk. */
  let leftover: Buffer | undefined;
  /** Bytes of a frame already judged, passed on as they come. */
  let skip = 0;

  const stop = (): void => {
    socket.removeListener("data", onData);
  };
  const refuse = (answer: Buffer): void => {
    stop();
    // rhea has written what it answers to the bytes it got (its header) by now.
    setImmediate(() => {
      if (!socket.destroyed && socket.writable) socket.end(answer);
    });
  };

  /** Judges buf from `p` on; returns how far it is fine, or a verdict to act on. */
  const scan = (
    buf: Buffer,
    from: number,
  ): { upTo: number; verdict?: "framing" | "header" | "silent"; seen?: Buffer } => {
    let p = from;
    while (p < buf.length) {
      const rest = buf.length - p;
      const startsAmqp = rest >= 4 && buf.readUInt32BE(p) === 0x414d5150;
      if (headers === 0 || startsAmqp) {
        // Refused, proton names everything it has read so far.
        const seen = buf.subarray(p);
        const protocol = sniff(seen.subarray(0, 8));
        if (protocol === "wait") return { upTo: p };
        if (protocol === "unknown") return { upTo: p, verdict: "header", seen };
        headers++;
        p += 8;
        continue;
      }
      if (rest < FRAME_HEADER_SIZE) return { upTo: p };
      const size = buf.readUInt32BE(p);
      const dataOffset = buf[p + 4]! * 4;
      const frameType = buf[p + 5]!;
      // pn_read_frame's order: the size against the maximum, then wait for the whole
      // frame, then the data offset (a size below 8 fails there too: the offset is past it).
      if (size > maxFrameSize) return { upTo: p, verdict: "framing" };
      if (dataOffset < FRAME_HEADER_SIZE || dataOffset > size) {
        return rest < size ? { upTo: p } : { upTo: p, verdict: "framing" };
      }
      if (frameType !== 0 && frameType !== 1) return { upTo: p, verdict: "silent" };
      if (!opened) {
        if (rest < size) return { upTo: p };
        if (size > dataOffset) {
          const { ok, open } = decodeFrame(buf.subarray(p, p + size));
          if (!ok) return { upTo: p, verdict: "silent" };
          if (open) opened = true;
        }
        p += size;
        continue;
      }
      if (size > dataOffset) {
        if (rest < Math.min(size, dataOffset + 3)) return { upTo: p };
        if (!plausiblePerformative(buf, p + dataOffset, frameType)) {
          return { upTo: p, verdict: "silent" };
        }
      }
      if (rest < size) {
        skip = size - rest;
        return { upTo: buf.length };
      }
      p += size;
    }
    return { upTo: p };
  };

  const onData = (chunk: Buffer): void => {
    let buf = chunk;
    if (leftover) {
      buf = Buffer.concat([leftover, chunk]);
      leftover = undefined;
    }
    let from = 0;
    if (skip > 0) {
      from = Math.min(skip, buf.length);
      skip -= from;
    }
    const { upTo, verdict, seen } = scan(buf, from);
    pass(upTo === buf.length ? buf : buf.subarray(0, upTo));
    if (verdict === "framing") refuse(MALFORMED_FRAME);
    else if (verdict === "header") refuse(unknownProtocol(seen ?? Buffer.alloc(0)));
    // An undecodable frame: the router reads nothing more of this connection.
    else if (verdict === "silent") stop();
    else if (upTo < buf.length) leftover = Buffer.from(buf.subarray(upTo));
  };
  socket.on("data", onData);
}
