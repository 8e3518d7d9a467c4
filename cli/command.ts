/**
 * What a command of the CLI is: its name, a summary, its positionals, its options (declared
 * once) and how it runs. The parser (args.ts) and the command's help both come from that one
 * declaration, so the help cannot say an option exists that the parser refuses, or miss one.
 */
import { type CommandArgs, type CommandOption, type CommandOptions, HELP_OPTION } from "./args.ts";

/** The name the user types after `npx` (the package's bin). */
export const PROGRAM = "amqp-mesh";

/** How commands are written for the user to run: `amqp-mesh` is on no PATH after npm install. */
export const RUN_PREFIX = `npx ${PROGRAM}`;

export interface Command<O extends CommandOptions = CommandOptions> {
  name: string;
  /** One line for the overview (`amqp-mesh --help`). */
  summary: string;
  /** The positionals, as the usage line shows them: `<dir>`, `[<dir>]`, `<old-dir> <new-dir>`. */
  args: string;
  /** What the command does, and its exit codes when they say more than the overview's. */
  description: string;
  options: O;
  /** Command lines (after `npx amqp-mesh`) that run as shown from the project's root. */
  examples: readonly string[];
  /** Exit code: 0 success, 1 invalid input, 2 usage (throw UsageError), 3 run-time failure. */
  run(args: CommandArgs<O>): Promise<number>;
}

/** Declares a command; the generic keeps `run`'s values typed by the options given. */
export function defineCommand<const O extends CommandOptions>(command: Command<O>): Command<O> {
  return command;
}

/** `--name <value>` or `-n, --name <value>`. */
function optionSynopsis(name: string, option: CommandOption): string {
  const short = option.short === undefined ? "" : `-${option.short}, `;
  const value = option.type === "string" ? ` ${option.value ?? "<value>"}` : "";
  const repeat = option.multiple ? "..." : "";
  return `${short}--${name}${value}${repeat}`;
}

/** The command's help: usage line, what it does, every option on a line of its own, examples. */
export function commandHelp(command: Command): string {
  const options = Object.entries({ ...command.options, help: HELP_OPTION });
  const synopses = options.map(([name, option]) => optionSynopsis(name, option));
  const width = Math.max(...synopses.map((s) => s.length)) + 2;
  const lines = [
    `${PROGRAM} ${command.name} — ${command.summary}`,
    "",
    `Usage: ${PROGRAM} ${command.name}${command.args === "" ? "" : ` ${command.args}`} [options]`,
    "",
    ...command.description.split("\n").map((line) => `  ${line}`),
    "",
    "Options:",
    ...options.map(([, option], i) => `  ${synopses[i]!.padEnd(width)}${option.help}`),
  ];
  if (command.examples.length > 0) {
    lines.push("", command.examples.length === 1 ? "Example:" : "Examples:");
    for (const example of command.examples) lines.push(`  ${RUN_PREFIX} ${example}`);
  }
  return lines.join("\n");
}
