/**
 * A TCP proxy in front of a router that counts the management requests going through it,
 * read off the wire with rhea's own frame and message codecs — not from the code under
 * test. Plain TCP only (the bytes must be readable); SASL passes through untouched.
 *
 *   const tap = await startManagementTap(router.url);
 *   await sync({ router: tap.url, ... });
 *   expect(tap.operations("CREATE")).toHaveLength(3);
 *   tap.refuse();   // the router is unreachable through the tap from now on
 *   await tap.close();
 */
import { createRequire } from "node:module";
import { connect, createServer, type Server, type Socket } from "node:net";
import rhea from "rhea";

const require = createRequire(import.meta.url);

interface RheaFrame {
  size: number;
  type: number;
  channel: number;
  performative?: Record<string, unknown> & { constructor: { descriptor?: { numeric?: number } } };
  payload?: Buffer;
}
const frames = require("rhea/lib/frames.js") as {
  read_frame(buffer: Buffer): RheaFrame | null;
};
const types = require("rhea/lib/types.js") as { unwrap(value: unknown): unknown };

/** Performative descriptor codes (AMQP 1.0 transport section 2.7). */
const ATTACH = 0x12;
const TRANSFER = 0x14;
const DETACH = 0x16;

/** A target terminus as rhea reads it off the wire: a described list, address first. */
function targetAddress(target: unknown): string | undefined {
  const unwrapped = types.unwrap(target) as unknown;
  const list = Array.isArray(unwrapped)
    ? unwrapped
    : (unwrapped as { value?: unknown } | null)?.value;
  const first = Array.isArray(list) ? types.unwrap(list[0]) : undefined;
  return typeof first === "string" ? first : undefined;
}

export interface TappedRequest {
  operation: string;
  /** The entity type (`type`, or `entityType` for QUERY), as sent. */
  type: string | undefined;
  name: string | undefined;
  at: number;
}

export interface ManagementTap {
  /** Connect here instead of to the router. */
  readonly url: string;
  /** Every management request seen so far, in order. */
  readonly requests: readonly TappedRequest[];
  /** Requests of these operations (all when none given). */
  operations(...names: string[]): TappedRequest[];
  /** The requests that change something: CREATE, UPDATE, DELETE. */
  writes(): TappedRequest[];
  reset(): void;
  /** From now on connections are refused (closed at once), as by an unreachable router. */
  refuse(): void;
  accept(): void;
  /** Cuts every open connection (as a router restart or network failure would). */
  cut(): void;
  close(): Promise<void>;
}

const AMQP = Buffer.from("AMQP");

/** Reads one direction of an AMQP connection and reports management transfers. */
class FrameReader {
  #buffer = Buffer.alloc(0);
  #headerExpected = true;
  /** Target address per "channel/handle" of links the client attached as sender. */
  readonly #targets = new Map<string, string>();
  /** Partial transfers (more = true) per link. */
  readonly #partial = new Map<string, Buffer[]>();
  readonly #onMessage: (message: Record<string, unknown>) => void;

  constructor(onMessage: (message: Record<string, unknown>) => void) {
    this.#onMessage = onMessage;
  }

  push(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      if (this.#buffer.length >= 8 && this.#buffer.subarray(0, 4).equals(AMQP)) {
        // A protocol header: SASL's first, then AMQP's.
        this.#buffer = this.#buffer.subarray(8);
        this.#headerExpected = false;
        continue;
      }
      if (this.#headerExpected || this.#buffer.length < 4) return;
      const size = this.#buffer.readUInt32BE(0);
      if (this.#buffer.length < size) return;
      const frame = frames.read_frame(this.#buffer.subarray(0, size));
      this.#buffer = this.#buffer.subarray(size);
      if (frame !== null) this.#frame(frame);
    }
  }

  #frame(frame: RheaFrame): void {
    const performative = frame.performative;
    if (frame.type !== 0 || performative === undefined) return;
    const kind = performative.constructor.descriptor?.numeric;
    const key = `${frame.channel}/${String(performative.handle)}`;
    if (kind === ATTACH && performative.role === false) {
      const address = targetAddress(performative.target);
      if (address !== undefined) this.#targets.set(key, address);
    } else if (kind === DETACH) {
      this.#targets.delete(key);
    } else if (kind === TRANSFER && frame.payload !== undefined) {
      const parts = this.#partial.get(key) ?? [];
      parts.push(frame.payload);
      if (performative.more === true) {
        this.#partial.set(key, parts);
        return;
      }
      this.#partial.delete(key);
      const address = this.#targets.get(key);
      if (address === undefined || !address.endsWith("$management")) return;
      try {
        this.#onMessage(rhea.message.decode(Buffer.concat(parts)) as Record<string, unknown>);
      } catch {
        // Not a message we can read: not counted.
      }
    }
  }
}

export async function startManagementTap(routerUrl: string): Promise<ManagementTap> {
  const upstream = new URL(routerUrl);
  const host = upstream.hostname;
  const port = Number(upstream.port);
  const requests: TappedRequest[] = [];
  const sockets = new Set<Socket>();
  let refusing = false;

  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => undefined);
    if (refusing) {
      client.destroy();
      return;
    }
    const router = connect({ host, port });
    // No Nagle on either leg: the tap must not add the delayed-ACK wait to every request.
    client.setNoDelay(true);
    router.setNoDelay(true);
    sockets.add(router);
    router.on("close", () => {
      sockets.delete(router);
      client.destroy();
    });
    router.on("error", () => client.destroy());
    client.on("close", () => router.destroy());
    const reader = new FrameReader((message) => {
      const properties = (message.application_properties ?? {}) as Record<string, unknown>;
      const operation = properties.operation;
      if (typeof operation !== "string") return;
      const type = properties.entityType ?? properties.type;
      requests.push({
        operation,
        type: typeof type === "string" ? type : undefined,
        name: typeof properties.name === "string" ? properties.name : undefined,
        at: Date.now(),
      });
    });
    client.on("data", (chunk: Buffer) => {
      reader.push(chunk);
      router.write(chunk);
    });
    router.on("data", (chunk: Buffer) => client.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const tapPort = typeof address === "object" && address ? address.port : 0;

  const cut = (): void => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  return {
    url: `amqp://127.0.0.1:${tapPort}`,
    requests,
    operations: (...names) =>
      names.length === 0 ? [...requests] : requests.filter((r) => names.includes(r.operation)),
    writes: () => requests.filter((r) => ["CREATE", "UPDATE", "DELETE"].includes(r.operation)),
    reset: () => {
      requests.length = 0;
    },
    refuse: () => {
      refusing = true;
      cut();
    },
    accept: () => {
      refusing = false;
    },
    cut,
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
