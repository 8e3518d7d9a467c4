/**
 * Random command lines through the real `amqp-mesh` bin (commands that only read or write in
 * a temp folder): the exit code is 0, 1, 2 or 3, a failure says something on stderr, and no
 * stack trace is ever printed.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLES, tempFolders } from "./copy-examples.ts";
import { runCli } from "./run-cli.ts";

const temps = tempFolders();
let cwd: string;
beforeAll(async () => {
  cwd = await temps.make();
});
afterAll(() => temps.cleanup());

const word = fc.oneof(
  fc.constantFrom(
    "--json",
    "--out",
    "--flavour",
    "--format",
    "--help",
    "-h",
    "--version",
    "--",
    "-",
  ),
  fc.constantFrom(EXAMPLES, "examples", "out", "skupper-router", "both", "--management-principal"),
  fc.string({ maxLength: 10 }),
);
const argv = fc
  .tuple(
    fc.constantFrom("validate", "generate", "diff", "frobnicate", "--help", "help"),
    fc.array(word, { maxLength: 6 }),
  )
  .map(([command, rest]) => [command, ...rest])
  // A NUL byte cannot be passed to a process at all.
  .filter((args) => args.every((a) => !a.includes("\u0000")));

describe("amqp-mesh on random argv", () => {
  it("exits 0/1/2/3, with a message when it fails, never with a stack trace", async () => {
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const result = await runCli(args, cwd);
        expect([0, 1, 2, 3], JSON.stringify(args)).toContain(result.code);
        if (result.code !== 0) expect(result.stderr.trim()).not.toBe("");
        expect(result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
        expect(result.stderr).not.toMatch(/node:internal|Error \[ERR_/);
      }),
      { numRuns: 8 },
    );
  }, 600_000);
});
