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
  const project = await folders.copyOfExamples();
  const file = join(project, "topology.yaml");
  const text = await readFile(file, "utf8");
  const ports = new Map<string, number>();
  for (const [, port] of text.matchAll(/port: (17\d{3})/g)) {
    if (port !== undefined && !ports.has(port)) ports.set(port, await freePort());
  }
  await writeFile(
    file,
    text.replace(/port: (17\d{3})/g, (_, p: string) => `port: ${ports.get(p)}`),
  );
  return project;
}
