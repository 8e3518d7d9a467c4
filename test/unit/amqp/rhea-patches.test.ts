/**
 * rhea's corrections (shared/amqp/rhea-patches.ts), each against rhea's real code: first
 * what rhea does alone (if one of those starts failing after a rhea upgrade, rhea fixed it
 * and the patch may go), then the same with the patch. Vitest gives every test file a
 * fresh rhea, so "alone" means unpatched here. The disposition guard has its own file.
 */
import { createServer, type Server, Socket } from "node:net";
import rhea, { type Connection } from "rhea";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  COALESCE_LIMIT_BYTES,
  coalesceWrites,
  patchRhea,
} from "../../../shared/amqp/rhea-patches.ts";

const codec = rhea.types as unknown as {
  Reader: new (bytes: Buffer) => { read(): { value: unknown[] } };
  Writer: new () => { buffer: Buffer };
};

/** The list a described empty list (a target terminus, descriptor 0x29) decodes to. */
const decodedEmptyList = (): unknown[] =>
  new codec.Reader(Buffer.from([0x00, 0x53, 0x29, 0x45])).read().value;

/** Whether a buffer has an ArrayBuffer of its own (rhea's Buffer.alloc) or shares Node's pool. */
const ownsItsMemory = (buffer: Buffer): boolean =>
  buffer.byteOffset === 0 && buffer.buffer.byteLength === buffer.length;

describe("rhea's codec, process-wide (patchRhea)", () => {
  it("alone: every empty list decodes to one shared array, and a write into it leaks", () => {
    const first = decodedEmptyList();
    first[0] = "an address set on an earlier terminus";
    expect(decodedEmptyList()).toEqual(["an address set on an earlier terminus"]);
    first.length = 0;
  });

  it("alone: every encode allocates a Buffer of its own, outside Node's pool", () => {
    expect(ownsItsMemory(new codec.Writer().buffer)).toBe(true);
  });

  it("patched: empty lists decode as a list of their own, whatever was written before", () => {
    patchRhea();
    patchRhea(); // idempotent
    const first = decodedEmptyList();
    expect(first).toEqual([]);
    first[0] = "an address set on an earlier terminus";
    expect(decodedEmptyList()).toEqual([]);
  });

  it("patched: encodes into zero-filled pooled memory, and the bytes are the same", () => {
    patchRhea();
    const buffer = new codec.Writer().buffer;
    expect(ownsItsMemory(buffer)).toBe(false);
    expect(buffer.length).toBe(1024);
    expect(buffer.every((b) => b === 0)).toBe(true);
    const message = { message_id: "m-1", durable: true, body: "x".repeat(3_000) };
    const decoded = rhea.message.decode(rhea.message.encode(message));
    expect(decoded).toMatchObject(message);
  });
});

describe("socket writes of one connection (coalesceWrites)", () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Writes `frames` in one tick; counts the writes that reach the socket's handle. */
  async function handleWrites(
    coalesced: boolean,
    frames: Buffer[] = ["transfer", "flow", "disposition"].map((f) => Buffer.from(f)),
  ): Promise<number> {
    const socket = new Socket();
    await new Promise<void>((resolve) => socket.connect(port, "127.0.0.1", resolve));
    let writes = 0;
    const inner = socket as unknown as Record<"_write" | "_writev", (...a: unknown[]) => void>;
    for (const method of ["_write", "_writev"] as const) {
      const original = inner[method].bind(socket);
      inner[method] = (...args: unknown[]) => {
        writes++;
        original(...args);
      };
    }
    if (coalesced) coalesceWrites({ socket } as unknown as Connection);
    for (const frame of frames) socket.write(frame);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    socket.destroy();
    return writes;
  }

  it("alone: rhea's frames of one tick reach the socket in more than one write", async () => {
    expect(await handleWrites(false)).toBeGreaterThan(1);
  });

  it("coalesced: the frames of one tick leave in one write", async () => {
    expect(await handleWrites(true)).toBe(1);
  });

  it("coalesced: a burst larger than the limit leaves in pieces of about the limit, not held to the end of the tick", async () => {
    // 64 transfers of 1 KiB: 64 KiB in one tick leave as 4 writes of 16 KiB.
    const burst = Array.from({ length: 64 }, () => Buffer.alloc(1024, 1));
    expect(await handleWrites(true, burst)).toBe((64 * 1024) / COALESCE_LIMIT_BYTES);
  });
});
