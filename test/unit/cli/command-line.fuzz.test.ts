/**
 * Random command lines never throw out of the reader: each is help, version, overview, a run
 * of a known command, or a usage error of one line naming what was wrong.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../../cli/commands/index.ts";
import { readCommandLine } from "../../../cli/main.ts";
import { oneLine } from "../../../cli/usage.ts";

const names = COMMANDS.map((c) => c.name);
const optionNames = [
  ...new Set(COMMANDS.flatMap((c) => Object.keys(c.options))),
  "help",
  "__proto__",
  "constructor",
  "toString",
];

/** Words a user (or a script gone wrong) might type: options, values, junk, edge cases. */
const word = fc.oneof(
  fc.constantFrom(...optionNames).map((o) => `--${o}`),
  fc.constantFrom(...optionNames).chain((o) => fc.string().map((v) => `--${o}=${v}`)),
  fc.constantFrom(
    "-",
    "--",
    "-h",
    "-V",
    "---",
    "--=",
    "-hx",
    "-xh",
    "--no-json",
    "examples",
    "help",
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
);
const argv = fc.oneof(
  fc
    .tuple(fc.constantFrom(...names), fc.array(word, { maxLength: 8 }))
    .map(([c, rest]) => [c, ...rest]),
  fc.array(word, { maxLength: 8 }),
);

describe("readCommandLine on random argv", () => {
  it("never throws; a usage error is one line of text", () => {
    fc.assert(
      fc.property(argv, (args) => {
        const line = readCommandLine(args);
        expect(["overview", "version", "help", "run", "usage-error"]).toContain(line.kind);
        if (line.kind === "usage-error") {
          expect(line.message.length).toBeGreaterThan(0);
          expect(oneLine(line.message)).not.toMatch(/[\n\r]/);
          expect(line.message).not.toMatch(/\n\s+at /);
        }
        if (line.kind === "run") {
          // Only declared options come through, with the type the declaration gives them.
          for (const [name, value] of Object.entries(line.args.values)) {
            const option = line.command.options[name];
            expect(option, name).toBeDefined();
            if (option?.type === "boolean") expect(typeof value).toBe("boolean");
            else if (option?.multiple) expect(Array.isArray(value)).toBe(true);
            else expect(typeof value).toBe("string");
          }
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
