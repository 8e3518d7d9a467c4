/**
 * A throwaway CA and a server certificate for TLS tests, made with `openssl` at test time
 * in a temporary directory (for 127.0.0.1 and localhost).
 *
 *   const certs = makeTestCertificates();   // { dir, caCertFile, certFile, privateKeyFile, ca }
 *   … sslProfile { caCertFile, certFile, privateKeyFile } …
 *   certs.remove();
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

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

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "amqp-mesh-tls-"));
  const file = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  };
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=amqp-mesh test CA",
    "-keyout",
    file("ca-key.pem"),
    "-out",
    file("ca.pem"),
  );
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=localhost",
    "-keyout",
    file("server-key.pem"),
    "-out",
    file("server.csr"),
  );
  writeFileSync(file("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(
    "x509",
    "-req",
    "-in",
    file("server.csr"),
    "-CA",
    file("ca.pem"),
    "-CAkey",
    file("ca-key.pem"),
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    file("san.ext"),
    "-out",
    file("server.pem"),
  );
  return {
    dir,
    caCertFile: file("ca.pem"),
    certFile: file("server.pem"),
    privateKeyFile: file("server-key.pem"),
    ca: readFileSync(file("ca.pem")),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
