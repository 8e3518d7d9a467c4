/** The bad-input checks' raw socket: nothing listening must not pass for a peer that closed. */
import { createServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort } from "../../support/free-port.ts";
import { AMQP_HEADER, RawConnectError, rawExchange } from "../../support/raw-socket.ts";

describe("rawExchange", () => {
  it("rejects when nothing listens, instead of reporting a close by the peer", async () => {
    const port = await freePort();
    await expect(rawExchange(port, AMQP_HEADER)).rejects.toThrow(RawConnectError);
  });

  it("reports a close by the peer, with what it sent first", async () => {
    const accepted = new Set<Socket>();
    const server = createServer((socket) => {
      accepted.add(socket);
      socket.end("bye");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      const result = await rawExchange(port, AMQP_HEADER);
      expect(result).toEqual({ received: Buffer.from("bye"), closedByPeer: true });
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
