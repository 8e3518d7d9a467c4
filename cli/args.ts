/**
 * A command's arguments: the options it declares (`CommandOptions`), read from argv with
 * node:util's parseArgs into typed values; a mistake is a UsageError of one line naming it
 * (an unknown option with the closest declared one, a missing value, an option given twice).
 */
import { parseArgs } from "node:util";
import { UsageError } from "./usage.ts";

export interface CommandOption {
  type: "string" | "boolean";
  /** The option may be given more than once; its value is then every one given, in order. */
  multiple?: true;
  /** A one-letter alias (`-x`). */
  short?: string;
  /** What a string option's value is, in the help: `<dir>`, `<url>`... */
  value?: string;
  /** One line for the help. */
  help: string;
}

export type CommandOptions = Readonly<Record<string, CommandOption>>;

/** The values parseArgs gives for a set of options: each is absent unless given. */
export type OptionValues<O extends CommandOptions> = {
  [K in keyof O]?: O[K]["type"] extends "boolean"
    ? boolean
    : O[K]["multiple"] extends true
      ? string[]
      : string;
};

export interface CommandArgs<O extends CommandOptions> {
  positionals: string[];
  values: OptionValues<O>;
}

/** Every command takes it; it is not declared by each. */
export const HELP_OPTION: CommandOption = { type: "boolean", short: "h", help: "show this help" };

function parserOptions(options: CommandOptions) {
  const config: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> =
    Object.create(null);
  for (const [name, option] of Object.entries({ ...options, help: HELP_OPTION })) {
    config[name] = {
      type: option.type,
      ...(option.multiple ? { multiple: true } : {}),
      ...(option.short === undefined ? {} : { short: option.short }),
    };
  }
  return config;
}

export type ParsedCommandLine<O extends CommandOptions> =
  | { kind: "help" }
  | { kind: "run"; args: CommandArgs<O> };

/**
 * The command's arguments, or `help` when -h/--help is among them (even beside a mistake: the
 * help is what that user needs). Throws UsageError with one line naming what is wrong.
 */
export function parseCommandArgs<O extends CommandOptions>(
  command: { readonly options: O },
  argv: readonly string[],
): ParsedCommandLine<O> {
  const options = parserOptions(command.options);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    if (asksForHelp(argv, options)) return { kind: "help" };
    throw new UsageError(parseErrorText(error, command.options));
  }
  if (parsed.values.help === true) return { kind: "help" };
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option") continue;
    const option = command.options[token.name];
    if (option?.type === "string" && option.multiple !== true && seen.has(token.name))
      throw new UsageError(`--${token.name} is given twice; give it once`);
    seen.add(token.name);
  }
  const values: Record<string, unknown> = Object.create(null);
  for (const [name, value] of Object.entries(parsed.values))
    if (name !== "help") values[name] = value;
  return {
    kind: "run",
    args: { positionals: parsed.positionals, values: values as OptionValues<O> },
  };
}

/** -h or --help before a `--` terminator, whatever else is wrong with the line. */
function asksForHelp(argv: readonly string[], options: ReturnType<typeof parserOptions>): boolean {
  try {
    const { tokens } = parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: false,
      tokens: true,
    });
    return tokens.some((t) => t.kind === "option" && t.name === "help");
  } catch {
    return false;
  }
}

/** Node's parseArgs messages run over several sentences and lines; ours are one line. */
function parseErrorText(error: unknown, options: CommandOptions): string {
  const e = error as { code?: unknown; message?: unknown };
  const message = typeof e?.message === "string" ? e.message : String(error);
  const quoted = /'(-[^']*?)(?: <value>)?'/.exec(message)?.[1] ?? "";
  const name = quoted.replace(/^-+/, "");
  const option = Object.hasOwn(options, name) ? options[name] : undefined;
  const shown = `${quoted.startsWith("--") ? "--" : "-"}${name}`;
  if (e?.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const close = closestOption(name, options);
    return `unknown option '${shown}'${close === undefined ? "" : ` (did you mean --${close}?)`}`;
  }
  if (e?.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (option?.type === "boolean") return `--${name} takes no value`;
    const placeholder = option?.value ?? "<value>";
    if (/ambiguous/.test(message))
      return `--${name} needs a value (${placeholder}); to give one that starts with '-', write --${name}=-…`;
    return `--${name} needs a value: --${name} ${placeholder}`;
  }
  return message.split("\n")[0] ?? "cannot read the command line";
}

/** The declared option one edit away from `name` (a typo), if there is exactly one. */
function closestOption(name: string, options: CommandOptions): string | undefined {
  const near = Object.keys(options).filter((o) => editDistance(o, name) <= 2);
  return near.length === 1 ? near[0] : undefined;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
