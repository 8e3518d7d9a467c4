/**
 * Raw TCP to a router, for bad-input tests: write bytes, collect what comes back until the
 * peer closes or the time runs out.
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

export function rawExchange(
  port: number,
  bytes: Buffer,
  options: { host?: string; timeout?: number } = {},
): Promise<RawExchangeResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ port, host: options.host ?? "127.0.0.1" });
    let done = false;
    const finish = (closedByPeer: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), closedByPeer });
    };
    const timer = setTimeout(() => finish(false), options.timeout ?? 2_000);
    socket.on("connect", () => socket.write(bytes));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("end", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
  });
}
