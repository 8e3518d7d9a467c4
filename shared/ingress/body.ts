/**
 * Request bodies as the core sees them: a size known up front when the platform says it,
 * and a read that stops as soon as more than the limit arrived, so that an oversize body is
 * refused without being held in memory whole.
 */
import type { Readable } from "node:stream";

export interface RequestBody {
  /** Bytes announced before reading (Content-Length, or the size of a body already in memory). */
  readonly declaredLength: number | undefined;
  /** The whole body; rejects with BodyTooLargeError once more than `limit` bytes arrived. */
  read(limit: number): Promise<Uint8Array>;
}

export class BodyTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = "BodyTooLargeError";
    this.limit = limit;
  }
}

/** The body is not a readable stream of bytes (aborted upload, wrong chunk type). */
export class BodyReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BodyReadError";
  }
}

/** Content-Length as a number; undefined when absent or not a plain decimal. */
export function contentLength(header: string | undefined): number | undefined {
  if (header === undefined || !/^\s*\d{1,15}\s*$/.test(header)) return undefined;
  return Number(header);
}

const EMPTY = new Uint8Array(0);

/** A body already in memory. */
export function bodyFromBytes(bytes: Uint8Array | undefined): RequestBody {
  const body = bytes ?? EMPTY;
  return {
    declaredLength: body.byteLength,
    read: (limit) =>
      body.byteLength > limit
        ? Promise.reject(new BodyTooLargeError(limit))
        : Promise.resolve(body),
  };
}

/**
 * A body given as text, or base64 text (API Gateway's `isBase64Encoded`): its size is
 * computed without decoding, and it is decoded only when it fits.
 */
export function bodyFromText(text: string | undefined, base64 = false): RequestBody {
  const value = text ?? "";
  const declaredLength = base64 ? base64DecodedLength(value) : Buffer.byteLength(value, "utf8");
  return {
    declaredLength,
    read: (limit) => {
      if (declaredLength > limit) return Promise.reject(new BodyTooLargeError(limit));
      return Promise.resolve(Buffer.from(value, base64 ? "base64" : "utf8"));
    },
  };
}

function base64DecodedLength(text: string): number {
  const trimmed = text.replace(/[\s=]+$/, "");
  return Math.floor((trimmed.replace(/\s+/g, "").length * 3) / 4);
}

/** Collects chunks up to `limit` bytes; stops at the first chunk that goes past it. */
async function collect(chunks: AsyncIterable<unknown>, limit: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of chunks) {
      if (!(chunk instanceof Uint8Array))
        throw new BodyReadError("request body chunk is not bytes");
      size += chunk.byteLength;
      // Leaving the loop cancels the stream: nothing more is read.
      if (size > limit) throw new BodyTooLargeError(limit);
      parts.push(chunk);
    }
  } catch (error) {
    if (error instanceof BodyTooLargeError || error instanceof BodyReadError) throw error;
    throw new BodyReadError(
      `request body could not be read: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts, size);
}

/**
 * A node stream (node:http IncomingMessage). Read by events, not `for await`: leaving an
 * async iterator early destroys the request, and with it the socket the 413 must go out on.
 */
export function bodyFromNodeStream(stream: Readable, declared: string | undefined): RequestBody {
  return {
    declaredLength: contentLength(declared),
    read: (limit) =>
      new Promise<Uint8Array>((resolve, reject) => {
        const parts: Buffer[] = [];
        let size = 0;
        const done = (): void => {
          stream.off("data", onData);
          stream.off("end", onEnd);
          stream.off("error", onError);
          stream.off("close", onClose);
        };
        const onData = (chunk: unknown): void => {
          const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
          size += bytes.byteLength;
          if (size > limit) {
            done();
            stream.pause();
            reject(new BodyTooLargeError(limit));
            return;
          }
          parts.push(bytes);
        };
        const onEnd = (): void => {
          done();
          resolve(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size));
        };
        const onError = (error: Error): void => {
          done();
          reject(
            new BodyReadError(`request body could not be read: ${error.message}`, { cause: error }),
          );
        };
        const onClose = (): void => {
          done();
          reject(new BodyReadError("request body could not be read: the connection closed"));
        };
        stream.on("data", onData);
        stream.on("end", onEnd);
        stream.on("error", onError);
        stream.on("close", onClose);
      }),
  };
}

/** A web stream (Azure Functions' HttpRequest.body, fetch Requests). */
export function bodyFromWebStream(
  stream: ReadableStream<Uint8Array> | null,
  declared: string | undefined,
): RequestBody {
  if (stream === null) return bodyFromBytes(undefined);
  return {
    declaredLength: contentLength(declared),
    read: (limit) => collect(stream as unknown as AsyncIterable<unknown>, limit),
  };
}
