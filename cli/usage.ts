/** The CLI's usage errors and its overview (`amqp-mesh --help`); each command's help is its own. */
import { escapeControlCharacters } from "../shared/log-text.ts";

/** Thrown for a wrong command line: the CLI prints its one line and where help is, and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** What the overview needs of a command. */
export interface CommandSummary {
  name: string;
  summary: string;
}

export const EXIT_CODES = `Exit codes: 0 success, 1 invalid input (sync: the registry was refused, nothing sent),
2 usage error, 3 run-time failure (a router or tool missing, a port in use, another up on the
same out folder, a round trip that failed, a router sync could not reach or change, a login
refused).`;

export function overview(commands: readonly CommandSummary[], run: string): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    "amqp-mesh — channel registry, router configs and the local mesh",
    "",
    `Usage: ${run} <command> [options]`,
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    `${run} <command> --help   that command's options and an example`,
    `${run} --version          the version`,
    "",
    EXIT_CODES,
  ].join("\n");
}

/**
 * One line of text whatever the input echoed in it holds: control characters, line
 * separators and bidi controls escaped, as in every log line (shared/log-text.ts).
 */
export function oneLine(text: string): string {
  return escapeControlCharacters(text);
}
