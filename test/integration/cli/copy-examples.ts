import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const EXAMPLES = new URL("../../../examples", import.meta.url).pathname;

/** Temporary folders for one test file; call cleanup() in afterEach. */
export function tempFolders() {
  const made: string[] = [];
  return {
    async make(): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), "amqp-mesh-cli-"));
      made.push(dir);
      return dir;
    },
    async copyOfExamples(): Promise<string> {
      const dir = await this.make();
      await cp(EXAMPLES, dir, { recursive: true });
      return dir;
    },
    async cleanup(): Promise<void> {
      await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}
