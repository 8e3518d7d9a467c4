/** Runs the external tools the local platform needs, with an install hint when one is missing. */
import { execFile } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { LocalPlatformError } from "./errors.ts";

/** Where each tool comes from on Debian/Ubuntu, for the error that names a missing one. */
const INSTALL_HINTS: Record<string, string> = {
  openssl: "install it (Debian/Ubuntu: apt-get install openssl)",
  saslpasswd2: "install Cyrus SASL's tools (Debian/Ubuntu: apt-get install sasl2-bin)",
};

export interface RunOptions {
  /** Written to the tool's standard input (e.g. a password; never logged). */
  input?: string;
  cwd?: string;
  /** What the run is for, in the error message. */
  what: string;
}

/** Resolves with stdout; rejects with a LocalPlatformError naming the tool and the reason. */
export function runTool(command: string, args: string[], options: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { cwd: options.cwd, timeout: 30_000, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout);
          return;
        }
        if ((error as NodeJS.ErrnoException).code === "ENOENT") {
          reject(
            new LocalPlatformError(
              `${options.what} needs '${command}', which is not on PATH: ${INSTALL_HINTS[command] ?? "install it"}`,
            ),
          );
          return;
        }
        const detail = String(stderr).trim().split("\n").slice(-3).join(" / ");
        reject(
          new LocalPlatformError(`${options.what}: ${command} failed: ${detail || error.message}`),
        );
      },
    );
    child.stdin?.on("error", () => {});
    child.stdin?.end(options.input ?? "");
  });
}

/** The full path of `command` on PATH, or undefined (what a shell's `command -v` finds). */
export async function findOnPath(command: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
