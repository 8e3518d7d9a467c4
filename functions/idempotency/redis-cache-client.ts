/**
 * The few Redis commands Powertools' idempotency cache layer uses (GET, SET with EX/NX, DEL),
 * over one pipelined RESP2 connection (redis:// or rediss://, AUTH from the URL). Written
 * here because @redis/client alone would add ~420 KB to a function bundle budgeted at 250 KB.
 * Replies are matched to commands in order; a lost connection fails what is pending and the
 * next command connects again.
 */
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";

export type RespValue = string | number | null | Buffer | RespValue[] | RespError;

/** An error reply from the server (`-ERR …`). */
export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RespError";
  }
}

/** The stream is not RESP: names the byte offset and what was there. */
export class RespProtocolError extends Error {
  constructor(message: string) {
    super(`Redis protocol error: ${message}`);
    this.name = "RespProtocolError";
  }
}

const CRLF = Buffer.from("\r\n");
const MAX_BULK = 512 * 1024 * 1024;

/**
 * Parses one reply from `buffer` at `offset`; undefined when the bytes end before the reply
 * does. Throws RespProtocolError for anything that is not RESP2.
 */
export function parseReply(
  buffer: Buffer,
  offset = 0,
): { value: RespValue; next: number } | undefined {
  if (offset >= buffer.length) return undefined;
  const lineEnd = buffer.indexOf(CRLF, offset + 1);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[offset] as number);
  const line = buffer.toString("utf8", offset + 1, lineEnd);
  const after = lineEnd + 2;
  switch (type) {
    case "+":
      return { value: line, next: after };
    case "-":
      return { value: new RespError(line), next: after };
    case ":": {
      if (!/^-?\d+$/.test(line))
        throw new RespProtocolError(`bad integer '${line.slice(0, 40)}' at ${offset}`);
      return { value: Number(line), next: after };
    }
    case "$": {
      if (!/^-?\d+$/.test(line))
        throw new RespProtocolError(`bad bulk length '${line.slice(0, 40)}' at ${offset}`);
      const length = Number(line);
      if (length === -1) return { value: null, next: after };
      if (length < 0 || length > MAX_BULK)
        throw new RespProtocolError(`bulk length ${length} at ${offset}`);
      if (buffer.length < after + length + 2) return undefined;
      if (buffer[after + length] !== 13 || buffer[after + length + 1] !== 10)
        throw new RespProtocolError(`bulk string at ${offset} does not end with CRLF`);
      return {
        value: Buffer.from(buffer.subarray(after, after + length)),
        next: after + length + 2,
      };
    }
    case "*": {
      if (!/^-?\d+$/.test(line))
        throw new RespProtocolError(`bad array length '${line.slice(0, 40)}' at ${offset}`);
      const count = Number(line);
      if (count === -1) return { value: null, next: after };
      if (count < 0 || count > 1_000_000)
        throw new RespProtocolError(`array length ${count} at ${offset}`);
      const items: RespValue[] = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, next);
        if (item === undefined) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new RespProtocolError(
        `unexpected byte 0x${(buffer[offset] as number).toString(16)} at ${offset}`,
      );
  }
}

export function encodeCommand(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? Buffer.from(arg, "utf8") : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return Buffer.concat(parts);
}

interface Pending {
  resolve: (value: RespValue) => void;
  reject: (error: Error) => void;
}

/** What Powertools' CachePersistenceLayer calls (its CacheClient interface). */
export interface RedisCache {
  get(key: string): Promise<string | null>;
  set(key: string, value: unknown, options?: { EX?: number; NX?: boolean }): Promise<string | null>;
  del(keys: string[]): Promise<number>;
  quit(): Promise<void>;
}

export function redisCache(url: string, options: { timeoutMs?: number } = {}): RedisCache {
  const parsed = new URL(url);
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:")
    throw new Error(
      `IDEMPOTENCY_REDIS_URL must be redis:// or rediss:// (got ${parsed.protocol}//…)`,
    );
  const host = parsed.hostname;
  const port = Number(parsed.port || 6379);
  const username = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  const timeoutMs = options.timeoutMs ?? 5_000;
  let socket: Socket | undefined;
  let opening: Promise<Socket> | undefined;
  let buffer: Buffer = Buffer.alloc(0);
  const pending: Pending[] = [];

  const failAll = (error: Error) => {
    for (const p of pending.splice(0)) p.reject(error);
  };
  const open = (): Promise<Socket> => {
    if (socket !== undefined && !socket.destroyed) return Promise.resolve(socket);
    opening ??= new Promise<Socket>((resolve, reject) => {
      const s =
        parsed.protocol === "rediss:"
          ? connectTls({ host, port, servername: host })
          : connectTcp({ host, port });
      s.setTimeout(timeoutMs, () =>
        s.destroy(new Error(`Redis ${host}:${port} did not answer within ${timeoutMs} ms`)),
      );
      s.once(parsed.protocol === "rediss:" ? "secureConnect" : "connect", () => {
        s.setTimeout(0);
        socket = s;
        opening = undefined;
        resolve(s);
      });
      s.on("data", (chunk: Buffer) => {
        buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
        try {
          let offset = 0;
          for (
            let reply = parseReply(buffer, offset);
            reply !== undefined;
            reply = parseReply(buffer, offset)
          ) {
            offset = reply.next;
            const waiter = pending.shift();
            if (reply.value instanceof RespError) waiter?.reject(reply.value);
            else waiter?.resolve(reply.value);
          }
          buffer = buffer.subarray(offset);
        } catch (error) {
          failAll(error as Error);
          s.destroy();
        }
      });
      s.on("error", (error) => {
        opening = undefined;
        reject(new Error(`Redis ${host}:${port}: ${error.message}`));
        failAll(new Error(`Redis ${host}:${port}: ${error.message}`));
      });
      s.on("close", () => {
        socket = undefined;
        buffer = Buffer.alloc(0);
        failAll(new Error(`Redis ${host}:${port}: connection closed`));
      });
    });
    return opening.then(async (s) => {
      if (password !== "" && !(s as Socket & { authed?: boolean }).authed) {
        (s as Socket & { authed?: boolean }).authed = true;
        await send(s, username === "" ? ["AUTH", password] : ["AUTH", username, password]);
      }
      return s;
    });
  };
  const send = (s: Socket, args: readonly string[]): Promise<RespValue> =>
    new Promise<RespValue>((resolve, reject) => {
      pending.push({ resolve, reject });
      s.write(encodeCommand(args));
    });
  const command = async (args: readonly string[]): Promise<RespValue> => send(await open(), args);
  const text = (value: RespValue): string | null =>
    value === null ? null : Buffer.isBuffer(value) ? value.toString("utf8") : String(value);

  return {
    async get(key) {
      return text(await command(["GET", key]));
    },
    async set(key, value, opts = {}) {
      const args = ["SET", key, typeof value === "string" ? value : JSON.stringify(value)];
      if (opts.EX !== undefined) args.push("EX", String(Math.max(1, Math.floor(opts.EX))));
      if (opts.NX) args.push("NX");
      return text(await command(args));
    },
    async del(keys) {
      if (keys.length === 0) return 0;
      return Number(await command(["DEL", ...keys]));
    },
    async quit() {
      if (socket === undefined) return;
      await command(["QUIT"]).catch(() => undefined);
      socket?.destroy();
    },
  };
}
