/**
 * A throwaway CA and a server certificate for TLS tests (for 127.0.0.1 and localhost),
 * made with `openssl` in a temporary directory by the same code as the local platform's
 * router certificates (cli/local/certificates.ts).
 *
 *   const certs = await makeTestCertificates();   // { dir, caCertFile, certFile, privateKeyFile, ca }
 *   … sslProfile { caCertFile, certFile, privateKeyFile } …
 *   certs.remove();
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeLocalCertificates } from "../../cli/local/certificates.ts";

export interface TestCertificates {
  dir: string;
  caCertFile: string;
  certFile: string;
  privateKeyFile: string;
  /** The CA certificate (PEM), for clients to trust. */
  ca: Buffer;
  remove(): void;
}

export function opensslAvailable(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = mkdtempSync(join(tmpdir(), "amqp-mesh-tls-"));
  const made = await makeLocalCertificates(dir, [{ id: "localhost", host: "localhost" }]);
  const server = made.routers.get("localhost")!;
  return {
    dir,
    caCertFile: made.caFile,
    certFile: server.certFile,
    privateKeyFile: server.keyFile,
    ca: readFileSync(made.caFile),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
