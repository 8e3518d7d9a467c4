/** The `amqp-mesh` command line: finds the command, parses its options, runs it, maps errors to exit codes. */
import { readFileSync } from "node:fs";
import { parseCommandArgs } from "./args.ts";
import { type Command, commandHelp, PROGRAM, RUN_PREFIX } from "./command.ts";
import { COMMANDS } from "./commands/index.ts";
import { LocalPlatformError, RUNTIME_FAILURE } from "./local/errors.ts";
import { oneLine, overview, UsageError } from "./usage.ts";

/** Exit code of a wrong command line. */
export const USAGE_FAILURE = 2;

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** The version in the package's own package.json. */
export function version(): string {
  const file = new URL("../package.json", import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

/** What a command line asks for, before anything runs. */
export type CommandLine =
  | { kind: "overview"; exitCode: 0 | 2 }
  | { kind: "version" }
  | { kind: "help"; command: Command }
  | { kind: "run"; command: Command; args: Parameters<Command["run"]>[0] }
  | { kind: "usage-error"; command: Command | undefined; message: string };

/** Reads argv without running anything; never throws. */
export function readCommandLine(argv: readonly string[]): CommandLine {
  const [name, ...rest] = argv;
  if (name === undefined) return { kind: "overview", exitCode: 2 };
  if (name === "--help" || name === "-h" || name === "help") {
    if (name === "help" && rest[0] !== undefined) {
      const command = findCommand(rest[0]);
      if (command !== undefined) return { kind: "help", command };
      return unknownCommand(rest[0]);
    }
    return { kind: "overview", exitCode: 0 };
  }
  if (name === "--version" || name === "-V" || name === "version") return { kind: "version" };
  const command = findCommand(name);
  if (command === undefined) return unknownCommand(name);
  try {
    const parsed = parseCommandArgs(command, rest);
    return parsed.kind === "help"
      ? { kind: "help", command }
      : { kind: "run", command, args: parsed.args };
  } catch (error) {
    return { kind: "usage-error", command, message: describe(error) };
  }
}

function unknownCommand(name: string): CommandLine {
  const what = name.startsWith("-") ? "option" : "command";
  return {
    kind: "usage-error",
    command: undefined,
    message: `unknown ${what} '${name}' (commands: ${COMMANDS.map((c) => c.name).join(", ")})`,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function usageError(command: Command | undefined, message: string): number {
  const where = command === undefined ? PROGRAM : `${PROGRAM} ${command.name}`;
  const help =
    command === undefined ? `${RUN_PREFIX} --help` : `${RUN_PREFIX} ${command.name} --help`;
  console.error(`${where}: ${oneLine(message)}\nsee \`${help}\``);
  return USAGE_FAILURE;
}

/** Exit codes: 0 success, 1 invalid input, 2 usage error, 3 run-time failure. */
export async function main(argv: string[]): Promise<number> {
  const line = readCommandLine(argv);
  switch (line.kind) {
    case "overview": {
      const text = overview(COMMANDS, RUN_PREFIX);
      if (line.exitCode === 0) console.log(text);
      else console.error(text);
      return line.exitCode;
    }
    case "version":
      console.log(`${PROGRAM} ${version()}`);
      return 0;
    case "help":
      console.log(commandHelp(line.command));
      return 0;
    case "usage-error":
      return usageError(line.command, line.message);
    case "run":
      break;
  }
  try {
    return await line.command.run(line.args);
  } catch (error) {
    if (error instanceof UsageError) return usageError(line.command, error.message);
    if (error instanceof LocalPlatformError) {
      console.error(`${PROGRAM}: ${error.message}`);
      return RUNTIME_FAILURE;
    }
    console.error(`${PROGRAM}: ${describe(error)}`);
    return 1;
  }
}
