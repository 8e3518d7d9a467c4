/**
 * Serves the suite's emulator mesh from its own process and writes a MESH_TARGET file for
 * it, so the external-target path of the suite can be run (and checked) without real
 * routers:
 *
 *   npx tsx test/conformance/serve-emulator.ts /tmp/target.json &
 *   MESH_TARGET=/tmp/target.json npx vitest run test/conformance
 *
 * Stops on SIGINT/SIGTERM.
 */
import { writeFileSync } from "node:fs";
import { startTestMesh, stopAllMeshes } from "../support/local-mesh.ts";
import { EMULATOR_MESH, type TargetFile } from "./target.ts";

const file = process.argv[2] ?? "mesh-target.json";
const mesh = await startTestMesh(EMULATOR_MESH);
const first = mesh.router("a");
const limited = first.router.listeners.find((l) => l.port !== first.port);
const target: TargetFile = {
  routers: Object.values(mesh.routers).map((r) => ({
    id: r.id,
    url: r.url,
    mode: r.mode,
    flavour: "qpid-dispatch",
  })),
  links: (EMULATOR_MESH.links ?? []).map(([from, to, cost]) => ({ from, to, cost: cost ?? 1 })),
  ...(limited ? { maxMessageSize: { url: limited.url, limit: 4096 } } : {}),
};
writeFileSync(file, `${JSON.stringify(target, null, 2)}\n`);
console.log(`emulator mesh serving; target file ${file}`);
const stop = async (): Promise<void> => {
  await stopAllMeshes();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
