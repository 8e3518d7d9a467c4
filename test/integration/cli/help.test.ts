/**
 * The CLI's help, version and usage errors, through the real `amqp-mesh` bin: every command
 * answers --help with its usage, each of its options on a line and an example; a usage error
 * is one line and where the help is.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it, vi } from "vitest";

// Each case starts the real bin (a Node process loading the CLI): slow on a loaded machine.
vi.setConfig({ testTimeout: 120_000 });

import { runCli } from "./run-cli.ts";

const COMMAND_NAMES = [
  "validate",
  "generate",
  "diff",
  "sync",
  "emulator",
  "up",
  "console",
  "status",
  "publish",
  "tail",
  "verify",
  "bridge",
  "catalog",
  "types",
  "infra",
  "registry",
];

/** Option names as the help lists them (`--name`), in order. */
function listedOptions(help: string): string[] {
  const section = help.split("\nOptions:\n")[1]?.split("\n\n")[0] ?? "";
  return section.split("\n").map((line) => /--([a-z-]+)/.exec(line)?.[1] ?? `?${line}`);
}

describe("amqp-mesh --help, per command", () => {
  it.each(COMMAND_NAMES)(
    "%s --help prints its usage, options and an example, exit 0",
    async (name) => {
      const result = await runCli([name, "--help"]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: amqp-mesh ${name}\\b`, "m"));
      const options = listedOptions(result.stdout);
      expect(options).toContain("help");
      expect(options.every((o) => !o.startsWith("?"))).toBe(true);
      expect(result.stdout).toMatch(new RegExp(`^Examples?:\\n {2}npx amqp-mesh ${name}\\b`, "m"));
      // -h says the same.
      expect((await runCli([name, "-h"])).stdout).toBe(result.stdout);
    },
  );

  it("lists exactly the options the parser takes: each listed one parses, an unlisted one does not", async () => {
    const help = (await runCli(["validate", "--help"])).stdout;
    expect(listedOptions(help)).toEqual(["json", "help"]);
    const unlisted = await runCli(["validate", "examples", "--out", "x"]);
    expect(unlisted.code).toBe(2);
    expect(unlisted.stderr).toMatch(/unknown option '--out'/);
  });

  it("help for a command also comes from `help <command>`, and beside another mistake", async () => {
    const direct = await runCli(["diff", "--help"]);
    expect((await runCli(["help", "diff"])).stdout).toBe(direct.stdout);
    const beside = await runCli(["diff", "--nonsense", "--help"]);
    expect(beside.code).toBe(0);
    expect(beside.stdout).toBe(direct.stdout);
  });
});

describe("amqp-mesh --help and --version", () => {
  it("--help lists every command with its summary, exit 0", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    for (const name of COMMAND_NAMES)
      expect(result.stdout).toMatch(new RegExp(`^ {2}${name} +\\S`, "m"));
    expect(result.stdout).toMatch(/npx amqp-mesh <command> --help/);
  });

  it("no command at all prints the overview on stderr, exit 2", async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Commands:$/m);
  });

  it("--version prints package.json's version", async () => {
    const pkg = JSON.parse(
      await readFile(new URL("../../../package.json", import.meta.url), "utf8"),
    ) as { version: string };
    const result = await runCli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(`amqp-mesh ${pkg.version}`);
  });
});

describe("usage errors", () => {
  it.each([
    [["validate", "--bogus"], /^amqp-mesh validate: unknown option '--bogus'$/],
    [
      ["sync", "examples", "--jsn"],
      /^amqp-mesh sync: unknown option '--jsn' \(did you mean --json\?\)$/,
    ],
    [["generate", "examples", "--out"], /^amqp-mesh generate: --out needs a value: --out <dir>$/],
    [["validate"], /^amqp-mesh validate: missing <dir>/],
  ])("%j: one line, then where the help is, exit 2", async (argv, line) => {
    const result = await runCli(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(line);
    expect(lines[1]).toBe(`see \`npx amqp-mesh ${argv[0]} --help\``);
  });

  it("an unknown command names the commands, and points at the overview", async () => {
    const result = await runCli(["frobnicate"]);
    expect(result.code).toBe(2);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toEqual([
      `amqp-mesh: unknown command 'frobnicate' (commands: ${COMMAND_NAMES.join(", ")})`,
      "see `npx amqp-mesh --help`",
    ]);
  });

  it("input echoed in a usage error stays on one line", async () => {
    const result = await runCli(["validate", "no\nsuch\rfolder"]);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(2);
    expect(result.stderr).toMatch(/'no\\nsuch\\rfolder' is not a folder/);
  });
});
