/**
 * A throwaway certificate authority and one certificate per router for a local mesh of
 * real routers: mutual TLS between routers as in a deployment, with keys that never leave
 * the output folder. A router's certificate names it (CN = router id, which the routers'
 * vhost policy knows it by: sslProfile uidFormat `n`) and its host; proton 0.37 checks a
 * connector's host against the certificate's DNS names only, so an address is also
 * written as a DNS name (seen with qdrouterd 1.19.0: an IP-only SAN fails verification).
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import { runTool } from "./tools.ts";

export interface RouterCertificate {
  certFile: string;
  keyFile: string;
}

export interface LocalCertificates {
  dir: string;
  caFile: string;
  routers: Map<string, RouterCertificate>;
}

const WHAT = "making the local mesh's TLS certificates";
const DAYS = "7";

function subjectAltNames(host: string): string {
  const names = new Set(["DNS:localhost", `DNS:${host}`]);
  if (isIP(host)) names.add(`IP:${host}`);
  if (host !== "127.0.0.1") names.add("IP:127.0.0.1").add("DNS:127.0.0.1");
  return [...names].join(",");
}

/** Where the CA and each router's certificate and key are in `dir` (made, or to be read). */
export function certificateFiles(dir: string, routerIds: readonly string[]): LocalCertificates {
  return {
    dir,
    caFile: join(dir, "ca.pem"),
    routers: new Map(
      routerIds.map((id) => [
        id,
        { certFile: join(dir, `${id}.pem`), keyFile: join(dir, `${id}-key.pem`) },
      ]),
    ),
  };
}

export async function makeLocalCertificates(
  dir: string,
  routers: ReadonlyArray<{ id: string; host: string }>,
): Promise<LocalCertificates> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = (name: string): string => join(dir, name);
  const names = certificateFiles(
    dir,
    routers.map((r) => r.id),
  );
  const { caFile } = names;
  const caKey = file("ca-key.pem");
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await runTool(
    "openssl",
    [
      "req",
      "-x509",
      ...ec,
      "-days",
      DAYS,
      "-subj",
      "/CN=amqp-mesh local CA",
      "-keyout",
      caKey,
      "-out",
      caFile,
    ],
    { what: WHAT },
  );
  const certificates = new Map<string, RouterCertificate>();
  for (const router of routers) {
    const { keyFile, certFile } = names.routers.get(router.id) as RouterCertificate;
    const request = file(`${router.id}.csr`);
    const extensions = file(`${router.id}.ext`);
    await runTool(
      "openssl",
      ["req", ...ec, "-subj", `/CN=${router.id}`, "-keyout", keyFile, "-out", request],
      { what: WHAT },
    );
    await writeFile(
      extensions,
      `subjectAltName=${subjectAltNames(router.host)}\nextendedKeyUsage=serverAuth,clientAuth\n`,
    );
    await runTool(
      "openssl",
      [
        "x509",
        "-req",
        "-in",
        request,
        "-CA",
        caFile,
        "-CAkey",
        caKey,
        "-CAcreateserial",
        "-days",
        DAYS,
        "-extfile",
        extensions,
        "-out",
        certFile,
      ],
      { what: WHAT },
    );
    await chmod(keyFile, 0o600);
    certificates.set(router.id, { certFile, keyFile });
  }
  await chmod(caKey, 0o600);
  return { dir, caFile, routers: certificates };
}
