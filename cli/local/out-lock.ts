/**
 * One local platform per out folder: `up` (and `emulator`) hold `<out>/up.lock` while they
 * run, so that a second run cannot overwrite the first's passwords, keys and configs under
 * it. The lock names its holder (pid, engine, start time) for the message that refuses a
 * second run; a lock whose process is gone (a crash, a kill -9) is taken over with a notice.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LocalPlatformError } from "./errors.ts";

export const LOCK_FILE = "up.lock";

export interface OutLockHolder {
  pid: number;
  engine: string;
  startedAt: string;
  project: string;
}

export interface OutLock {
  file: string;
  /** Removes the lock if it is still ours; safe to call more than once. */
  release(): Promise<void>;
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readHolder(file: string): Promise<OutLockHolder | undefined> {
  try {
    const holder = JSON.parse(await readFile(file, "utf8")) as Partial<OutLockHolder>;
    if (!Number.isSafeInteger(holder.pid) || (holder.pid as number) <= 0) return undefined;
    return {
      pid: holder.pid as number,
      engine: String(holder.engine ?? "?"),
      startedAt: String(holder.startedAt ?? "?"),
      project: String(holder.project ?? "?"),
    };
  } catch {
    return undefined;
  }
}

/** The run holding the out folder's lock, if there is one and it is still running. */
export async function runningHolder(outDir: string): Promise<OutLockHolder | undefined> {
  const holder = await readHolder(join(outDir, LOCK_FILE));
  return holder !== undefined && isRunning(holder.pid) ? holder : undefined;
}

/**
 * Takes the out folder's lock, or throws LocalPlatformError naming the run that holds it.
 * The lock appears whole or not at all: written to a file of its own, then hard-linked to
 * its name (link fails when the name exists, as an exclusive create does).
 */
export async function takeOutLock(
  outDir: string,
  holder: Omit<OutLockHolder, "pid" | "startedAt">,
  log: (line: string) => void,
): Promise<OutLock> {
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, LOCK_FILE);
  const mine: OutLockHolder = { pid: process.pid, startedAt: new Date().toISOString(), ...holder };
  const draft = join(outDir, `.${LOCK_FILE}.${process.pid}.${randomBytes(4).toString("hex")}`);
  await writeFile(draft, `${JSON.stringify(mine, null, 2)}\n`, { flag: "wx" });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(draft, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const current = await readHolder(file);
      if (current !== undefined && isRunning(current.pid)) {
        throw new LocalPlatformError(
          `${outDir} is in use by another amqp-mesh up (pid ${current.pid}, engine ${current.engine}, ` +
            `project ${current.project}, since ${current.startedAt}): stop it first, or give this run another --out`,
        );
      }
      // Taken over once; a second loss means another run took it meanwhile.
      if (attempt > 0)
        throw new LocalPlatformError(
          `${outDir}: another amqp-mesh up took ${file} at the same time`,
        );
      log(
        current === undefined
          ? `notice: ${file} is unreadable; taking it over`
          : `notice: taking over ${file} of pid ${current.pid} (${current.engine}, since ${current.startedAt}), which is no longer running`,
      );
      await rm(file, { force: true });
    }
  } finally {
    await rm(draft, { force: true });
  }
  let released = false;
  // A process that ends without release() (a signal while starting) gives the lock back too.
  const onExit = () => {
    if (released) return;
    try {
      const current = JSON.parse(readFileSync(file, "utf8")) as Partial<OutLockHolder>;
      if (current.pid === mine.pid && current.startedAt === mine.startedAt) rmSync(file);
    } catch {
      // gone or unreadable: nothing of ours to remove
    }
  };
  process.once("exit", onExit);
  return {
    file,
    release: async () => {
      if (released) return;
      released = true;
      process.off("exit", onExit);
      const current = await readHolder(file);
      if (current?.pid === mine.pid && current.startedAt === mine.startedAt)
        await rm(file, { force: true });
    },
  };
}
