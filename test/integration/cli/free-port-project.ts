/**
 * A copy of the example project whose routers listen on ports free right now, so that a test
 * can run `up` beside a user's running platform (which holds the example's fixed ports).
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "../../support/free-port.ts";
import type { tempFolders } from "./copy-examples.ts";

export async function examplesOnFreePorts(
  folders: ReturnType<typeof tempFolders>,
): Promise<string> {
  return (await examplesOnReservedPorts(folders)).project;
}

/**
 * The same, with the ports: each of the example's ports (17101–17231) → the port reserved for
 * it in this process (test/support/free-port.ts), held until the process exits.
 */
export async function examplesOnReservedPorts(
  folders: ReturnType<typeof tempFolders>,
): Promise<{ project: string; ports: ReadonlyMap<number, number> }> {
  const project = await folders.copyOfExamples();
  const file = join(project, "topology.yaml");
  const text = await readFile(file, "utf8");
  const ports = new Map<number, number>();
  for (const [, port] of text.matchAll(/port: (17\d{3})/g)) {
    if (port !== undefined && !ports.has(Number(port))) ports.set(Number(port), await freePort());
  }
  await writeFile(
    file,
    text.replace(/port: (17\d{3})/g, (_, p: string) => `port: ${ports.get(Number(p))}`),
  );
  return { project, ports };
}
