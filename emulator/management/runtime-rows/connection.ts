/** `connection` rows: the router's client connections, then its broker connections. */
import type { Attributes } from "../../entities/schema.ts";
import { type RuntimeView, seconds } from "./view.ts";

const CONNECTION_DEFAULTS = {
  protocol: "amqp",
  sslProto: null,
  sslCipher: null,
  properties: {},
  sslSsf: 0,
  tenant: null,
  ssl: false,
  opened: true,
  active: true,
  adminStatus: "enabled",
  operStatus: "up",
  lastDlvSeconds: 0,
  enableProtocolTrace: false,
  localSocket: null,
  meshId: null,
  tlsOrdinal: null,
  groupCorrelationId: null,
  groupOrdinal: null,
};

export function connectionRows(view: RuntimeView): Attributes[] {
  const type = view.agent.qualified("connection");
  const clients = view.connections.map((c): Attributes => {
    const socket = c.connection.socket as
      | { remoteAddress?: string; remotePort?: number }
      | undefined;
    const host = `${socket?.remoteAddress ?? ""}:${socket?.remotePort ?? ""}`;
    const info = view.connectionInfo(c);
    return {
      ...CONNECTION_DEFAULTS,
      name: `connection/${host}`,
      identity: c.identity,
      type,
      host,
      role: info.role,
      dir: "in",
      container: c.remoteContainer ?? null,
      // The emulator's listeners offer ANONYMOUS and PLAIN; a user name means PLAIN.
      sasl: c.user !== undefined ? "PLAIN" : "ANONYMOUS",
      isAuthenticated: true,
      user: c.user ?? "anonymous",
      isEncrypted: c.encrypted,
      ssl: c.encrypted,
      uptimeSeconds: seconds(Date.now() - info.openedAt),
    };
  });
  const brokers = view.brokers.connectionRows(type).map((row) => ({
    ...CONNECTION_DEFAULTS,
    sasl: null,
    isAuthenticated: false,
    user: null,
    isEncrypted: false,
    uptimeSeconds: 0,
    ...row,
  }));
  return [...clients, ...brokers];
}
