/**
 * Raw TCP to a router, for bad-input tests: write bytes, collect what comes back until the
 * peer closes or the time runs out. A connection that cannot be made (nothing listening)
 * rejects: it must never pass for a peer that closed.
 *
 *   const { received, closedByPeer } = await rawExchange(port, Buffer.from("garbage"));
 */
import { connect } from "node:net";

/** The protocol headers a peer opens with: SASL layer (3 1 0 0) or plain AMQP (0 1 0 0). */
export const AMQP_SASL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0]);
export const AMQP_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);

export interface RawExchangeResult {
  received: Buffer;
  /** True when the peer closed the connection before the timeout. */
  closedByPeer: boolean;
}

export class RawConnectError extends Error {
  override readonly name = "RawConnectError";
}

export function rawExchange(
  port: number,
  bytes: Buffer,
  options: { host?: string; timeout?: number } = {},
): Promise<RawExchangeResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const host = options.host ?? "127.0.0.1";
    const socket = connect({ port, host });
    let connected = false;
    let done = false;
    const finish = (closedByPeer: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), closedByPeer });
    };
    const timer = setTimeout(() => finish(false), options.timeout ?? 2_000);
    socket.on("connect", () => {
      connected = true;
      socket.write(bytes);
    });
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("end", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("error", (error) => {
      if (connected) {
        finish(true);
        return;
      }
      done = true;
      clearTimeout(timer);
      reject(new RawConnectError(`no connection to ${host}:${port}: ${error.message}`));
    });
  });
}

/** The latin1 text of what a router answered (error descriptions are readable in it). */
export function answerText(received: Buffer): string {
  return received.toString("latin1");
}
