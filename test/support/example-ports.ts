/**
 * The example project's own listener ports (17101–17231), held by the test as a user's
 * running platform (`npm start`) holds them: the suites that start the example's routers
 * must pass around them, on ports reserved for a copy of the project (copyProject).
 *
 *   const example = await holdExamplePorts();   // listeners on every free example port
 *   ...
 *   await example.release();
 */
import { readFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";

export interface HeldPorts {
  /** The example's ports this test now listens on (the rest were held already). */
  readonly held: readonly number[];
  /** The example's ports something else held already (a running platform, another test). */
  readonly busy: readonly number[];
  release(): Promise<void>;
}

/** Every listener port of `projectDir`'s topology but the broker's (5672). */
export async function examplePorts(projectDir = "examples"): Promise<number[]> {
  const text = await readFile(join(projectDir, "topology.yaml"), "utf8");
  const ports = [...text.matchAll(/port: (\d{4,5})\b/g)].map((m) => Number(m[1]));
  return [...new Set(ports)].filter((port) => port !== 5672);
}

export async function holdExamplePorts(projectDir = "examples"): Promise<HeldPorts> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const held: number[] = [];
  const busy: number[] = [];
  for (const port of await examplePorts(projectDir)) {
    // A listener that takes connections and drops them, as a router that is not the test's.
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.destroy();
    });
    const bound = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (bound) {
      servers.push(server);
      held.push(port);
    } else busy.push(port);
  }
  return {
    held,
    busy,
    release: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
    },
  };
}
