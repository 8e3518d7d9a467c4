/**
 * Ports for the listeners tests start, reserved so that no two test files or processes get
 * the same one. A port probed free and closed again is anybody's: the system hands it out
 * again to the next bind(0) or outgoing connection, so a router told to bind it later may
 * find it taken (or a connector may reach another test's router there). So:
 *
 * - ports come from below the system's ephemeral range (ip_local_port_range), which the
 *   system never hands out by itself (no bind(0), no outgoing connection takes them), and
 *   above 28000, clear of the example project's 17101–17231 a user's platform may hold;
 * - each is held by a lock file in a folder of the temp dir shared by every process
 *   (`amqp-mesh-test-ports/<port>`, created exclusively, holding the owner's pid) until
 *   released, or until its process exits (a lock of a process gone is taken over);
 * - it must bind on 127.0.0.1 at the moment it is reserved (nothing else holds it).
 *
 *   const port = await reservePort();       // held until releasePort(port) or process exit
 *   const ports = await reservePorts(5);
 *   await releasePorts(ports);
 */
import { readFileSync, unlinkSync } from "node:fs";
import { link, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where the locks live: one folder of the temp dir, shared by every process of the machine. */
export const PORT_LOCK_DIR = join(tmpdir(), "amqp-mesh-test-ports");

/** A lock older than this is taken over even if its pid runs (the pid was reused). */
const STALE_AFTER_MS = 60 * 60 * 1000;

/** Above the example's ports (17101–17231) and the usual fixed service ports below. */
const LOWEST = 28_000;

/** The system's ephemeral range, from Linux's ip_local_port_range (default 32768–60999). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // Not Linux: the IANA dynamic range (macOS, Windows).
  }
  return [49152, 65535];
}

/** The ports tests may reserve: the larger stretch outside the ephemeral range above LOWEST. */
export function reservablePortRange(): [number, number] {
  const [low, high] = ephemeralRange();
  const below: [number, number] = [LOWEST, Math.min(low - 1, 65535)];
  const above: [number, number] = [Math.max(high + 1, LOWEST), 65535];
  const size = ([a, b]: [number, number]) => b - a + 1;
  const best = size(below) >= size(above) ? below : above;
  if (size(best) < 2000)
    throw new Error(
      `no room for test ports outside the ephemeral range ${low}-${high} (above ${LOWEST}); widen net.ipv4.ip_local_port_range's gap`,
    );
  return best;
}

const held = new Set<number>();
let exitHookInstalled = false;

function lockFile(port: number): string {
  return join(PORT_LOCK_DIR, String(port));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Creates the port's lock file; false if another live process holds it. */
async function lock(port: number): Promise<boolean> {
  const file = lockFile(port);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    // Held: by a live process, or left by one that is gone (killed before its exit hook).
    const owner = Number(await readFile(file, "utf8").catch(() => ""));
    const age = await stat(file).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (Number.isInteger(owner) && owner > 0 && alive(owner) && age < STALE_AFTER_MS) return false;
    if (owner === 0 && age < 5_000) return false; // being written right now
    // Moved aside first: of two processes taking over the same stale lock, one moves it.
    const aside = `${file}.stale-${process.pid}`;
    try {
      await rename(file, aside);
    } catch {
      return false;
    }
    // If what was moved is not the lock judged stale, someone took the port over meanwhile:
    // put theirs back.
    const moved = await readFile(aside, "utf8").catch(() => "");
    if (moved !== String(owner === 0 ? "" : owner)) {
      await link(aside, file).catch(() => undefined);
      await unlink(aside).catch(() => undefined);
      return false;
    }
    await unlink(aside).catch(() => undefined);
  }
  return false;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const port of held) {
      try {
        unlinkSync(lockFile(port));
      } catch {
        // Already gone.
      }
    }
  });
}

/** Reserves `port` if no live process holds its lock and it binds on 127.0.0.1 now. */
export async function reserveThisPort(port: number): Promise<boolean> {
  if (held.has(port)) return false;
  await mkdir(PORT_LOCK_DIR, { recursive: true });
  installExitHook();
  if (!(await lock(port))) return false;
  held.add(port);
  if (await canBind(port)) return true;
  await releasePort(port);
  return false;
}

/** A port on 127.0.0.1 held for this process until releasePort(port) or its exit. */
export async function reservePort(): Promise<number> {
  const [low, high] = reservablePortRange();
  const size = high - low + 1;
  // A random start, so that processes starting together rarely try the same ports.
  const start = Math.floor(Math.random() * size);
  for (let i = 0; i < Math.min(size, 2_000); i++) {
    const port = low + ((start + i) % size);
    if (await reserveThisPort(port)) return port;
  }
  throw new Error(
    `no free port to reserve in ${low}-${high}: 2000 tried were locked in ${PORT_LOCK_DIR} or bound`,
  );
}

export async function reservePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await reservePort());
  return ports;
}

/** Gives a reserved port back (its listener has closed or is about to). */
export async function releasePort(port: number): Promise<void> {
  if (!held.delete(port)) return;
  await unlink(lockFile(port)).catch(() => undefined);
}

export async function releasePorts(ports: Iterable<number>): Promise<void> {
  for (const port of ports) await releasePort(port);
}

/** Ports this process holds now (for tests of the reservation itself). */
export function heldPorts(): ReadonlySet<number> {
  return held;
}

/** A port for a listener a test starts: reserved for this process until it exits. */
export const freePort = reservePort;
