/**
 * A copy of the example project runs the example's channel functions (`up` starts them as
 * triggers): their imports point into this repository, so the copy links the folder.
 */
import { rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { useOwnQueue } from "./generated-routers.ts";

const EXAMPLE_FUNCTIONS = fileURLToPath(new URL("../../examples/functions", import.meta.url));

export async function withExampleFunctions(dir: string): Promise<void> {
  await rm(join(dir, "functions"), { recursive: true, force: true });
  await symlink(EXAMPLE_FUNCTIONS, join(dir, "functions"));
}

/**
 * A copy ready for `up --once`'s whole story: the example's functions, and a broker queue of
 * its own (consumers of one queue compete: another suite's consumer must not take this run's
 * invoice). Returns the queue's name, for deleteQueues afterwards.
 */
export async function forTheStory(dir: string): Promise<string> {
  await withExampleFunctions(dir);
  // A qdrouterd link route keeps the address's end: the queue ends as the address does.
  const queue = `up-once-${process.pid}-${Date.now()}-invoices`;
  await useOwnQueue(dir, queue);
  return queue;
}
