/**
 * The command line read before anything runs: each command's help lists exactly the options
 * its parser takes, every example of every help parses, and mistakes give one-line messages.
 */
import { describe, expect, it } from "vitest";
import { commandHelp } from "../../../cli/command.ts";
import { COMMANDS } from "../../../cli/commands/index.ts";
import { readCommandLine } from "../../../cli/main.ts";

/** `--name` of each line of the help's Options section. */
function listedOptions(help: string): { name: string; takesValue: boolean; line: string }[] {
  const section = help.split("\nOptions:\n")[1]?.split("\n\n")[0] ?? "";
  return section.split("\n").map((line) => {
    const match = /--([a-z-]+)( <[^>]+>)?/.exec(line);
    return { name: match?.[1] ?? "", takesValue: match?.[2] !== undefined, line };
  });
}

describe("each command's help and its parser", () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))(
    "%s: every listed option parses, with a description",
    (name, command) => {
      const help = commandHelp(command);
      const listed = listedOptions(help);
      expect(listed.map((o) => o.name)).toContain("help");
      for (const option of listed) {
        expect(option.name, option.line).not.toBe("");
        // A description after the synopsis, on the same line.
        expect(option.line, option.line).toMatch(/--[a-z-]+(?: <[^>]+>)?(?:\.\.\.)? {2,}\S/);
        if (option.name === "help") continue;
        const argv = [name, `--${option.name}`, ...(option.takesValue ? ["v"] : [])];
        expect(readCommandLine(argv).kind, argv.join(" ")).toBe("run");
      }
    },
  );

  it.each(COMMANDS.map((c) => [c.name, c] as const))(
    "%s: an option its help does not list is a usage error",
    (name, command) => {
      const listed = new Set(listedOptions(commandHelp(command)).map((o) => o.name));
      for (const other of COMMANDS.flatMap((c) =>
        listedOptions(commandHelp(c)).map((o) => o.name),
      )) {
        if (listed.has(other)) continue;
        const line = readCommandLine([name, `--${other}`, "v"]);
        expect(line.kind, `${name} --${other}`).toBe("usage-error");
      }
    },
  );

  it.each(COMMANDS.map((c) => [c.name, c] as const))(
    "%s: each example of its help parses",
    (name, command) => {
      const examples =
        commandHelp(command)
          .split(/\nExamples?:\n/)[1]
          ?.split("\n") ?? [];
      expect(examples.length).toBeGreaterThan(0);
      for (const example of examples) {
        const words = example.trim().split(/\s+/);
        expect(words.slice(0, 3)).toEqual(["npx", "amqp-mesh", name]);
        expect(readCommandLine(words.slice(2)).kind, example).toBe("run");
      }
    },
  );
});

describe("usage errors name the mistake in one line", () => {
  it.each([
    [["validate", "examples", "--json=yes"], "--json takes no value"],
    [["up", "--out", "a", "--out", "b"], "--out is given twice; give it once"],
    [
      ["generate", "examples", "--out", "-h2"],
      "--out needs a value (<dir>); to give one that starts with '-', write --out=-…",
    ],
    [["sync", "examples", "--router"], "--router needs a value: --router <url>"],
    [["bridge", "--chanel", "x"], "unknown option '--chanel' (did you mean --channel?)"],
    [["validate", "-x"], "unknown option '-x'"],
  ])("%j", (argv, message) => {
    expect(readCommandLine(argv)).toMatchObject({ kind: "usage-error", message });
  });

  it("a repeatable option may repeat", () => {
    const line = readCommandLine(["sync", "d", "--router", "amqp://a", "--router", "amqp://b"]);
    expect(line.kind === "run" && line.args.values.router).toEqual(["amqp://a", "amqp://b"]);
  });

  it("--help after `--` is a positional, not a request for help", () => {
    const line = readCommandLine(["validate", "--", "--help"]);
    expect(line.kind === "run" && line.args.positionals).toEqual(["--help"]);
  });
});
