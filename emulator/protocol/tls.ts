/**
 * TLS for emulated listeners from a qdrouterd sslProfile (caCertFile, certFile,
 * privateKeyFile, password): node's TLS server options.
 */
import { readFileSync } from "node:fs";
import type { Attributes } from "../entities/schema.ts";

export interface TlsServerOptions {
  transport: "tls";
  key: Buffer;
  cert: Buffer;
  ca?: Buffer[];
  passphrase?: string;
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

export class SslProfileError extends Error {
  override readonly name = "SslProfileError";
}

/** Server options for a listener using `profile`; client certs are checked when requested. */
export function tlsServerOptions(profile: Attributes, verifyClients: boolean): TlsServerOptions {
  const read = (attribute: string): Buffer => {
    const path = profile[attribute];
    if (typeof path !== "string") {
      throw new SslProfileError(`sslProfile '${String(profile.name)}' has no ${attribute}`);
    }
    try {
      return readFileSync(path);
    } catch (error) {
      throw new SslProfileError(
        `sslProfile '${String(profile.name)}': cannot read ${attribute} ${path}: ${String(error)}`,
      );
    }
  };
  const options: TlsServerOptions = {
    transport: "tls",
    key: read("privateKeyFile"),
    cert: read("certFile"),
    requestCert: verifyClients,
    rejectUnauthorized: verifyClients,
  };
  if (typeof profile.caCertFile === "string") options.ca = [read("caCertFile")];
  if (typeof profile.password === "string") options.passphrase = profile.password;
  return options;
}
