/**
 * The mesh console: a page on loopback that shows a mesh live. A MeshObserver reads the
 * routers over AMQP management; this server hands out the page (three static files from the
 * package, no build step, nothing from the network), the current view as JSON, and every new
 * view as Server-Sent Events, at most a few a second. Only GET; only loopback; only requests
 * whose Host is this server's (a page elsewhere cannot reach it through DNS rebinding).
 *
 *   const c = await startConsole({ project, routers, log: console.log });
 *   console.log(c.url);   …   await c.close();
 */
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  MeshObserver,
  type MeshView,
  type ObservedProject,
  type ObservedRouter,
} from "../../shared/observe/index.ts";
import type { DesiredConfigs } from "../../shared/sync/index.ts";

export interface ConsoleOptions {
  /** The registry and topology: channels, owners, clouds and regions, links, drift. */
  project: ObservedProject & { dir?: string };
  /** The routers to read, each with its management login. */
  routers: readonly ObservedRouter[];
  /** What the registry wants of each router; none: drift is not checked. */
  desired?: DesiredConfigs;
  /** A port on 127.0.0.1 (default: any free one). */
  port?: number;
  /** Between two readings of a router (default 1000 ms). */
  intervalMs?: number;
  /** How long a router may take to answer before it counts as down (default 2000 ms). */
  requestTimeoutMs?: number;
  driftIntervalMs?: number;
  log?: (line: string) => void;
}

export interface RunningConsole {
  url: string;
  /** The latest view. */
  readonly view: MeshView;
  close(): Promise<void>;
}

const STATIC_DIR = join(import.meta.dirname, "static");
const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/console.js": { file: "console.js", type: "text/javascript; charset=utf-8" },
  "/console.css": { file: "console.css", type: "text/css; charset=utf-8" },
};
/** Views streamed at most this often (the observer makes one per router reading). */
const STREAM_INTERVAL_MS = 250;
const HEARTBEAT_MS = 15_000;

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const files = new Map<string, Buffer>();
  for (const [path, { file }] of Object.entries(FILES))
    files.set(path, await readFile(join(STATIC_DIR, file)));
  const observer = new MeshObserver({
    project: options.project,
    routers: options.routers,
    ...(options.desired === undefined ? {} : { desired: options.desired }),
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    ...(options.requestTimeoutMs === undefined
      ? {}
      : { requestTimeoutMs: options.requestTimeoutMs }),
    ...(options.driftIntervalMs === undefined ? {} : { driftIntervalMs: options.driftIntervalMs }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const streams = new Set<ServerResponse>();
  let host = "";

  const allowedHost = (req: IncomingMessage) => {
    const h = req.headers.host ?? "";
    return h === host || h === host.replace("127.0.0.1", "localhost");
  };

  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    if (!allowedHost(req)) {
      res
        .writeHead(421, { "content-type": "text/plain" })
        .end("misdirected request: use the console's own address\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("only GET\n");
      return;
    }
    // The path as sent, without its query: no URL parsing (`//x` is no valid URL to parse).
    const path = (req.url ?? "/").split(/[?#]/, 1)[0] ?? "/";
    const file = FILES[path];
    if (file !== undefined) {
      res
        .writeHead(200, { "content-type": file.type })
        .end(req.method === "HEAD" ? undefined : files.get(path));
      return;
    }
    if (path === "/api/view") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(observer.view));
      return;
    }
    if (path === "/events") {
      if (req.method === "HEAD") {
        res.writeHead(200, { "content-type": "text/event-stream" }).end();
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", connection: "keep-alive" });
      res.write(`retry: 1000\nevent: view\ndata: ${JSON.stringify(observer.view)}\n\n`);
      streams.add(res);
      req.on("close", () => streams.delete(res));
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });

  let pending: MeshView | undefined;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    if (pending === undefined) return;
    const data = `event: view\ndata: ${JSON.stringify(pending)}\n\n`;
    pending = undefined;
    for (const res of streams) res.write(data);
  };
  const unsubscribe = observer.subscribe((view) => {
    pending = view;
    timer ??= setTimeout(flush, STREAM_INTERVAL_MS);
  });
  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(": heartbeat\n\n");
  }, HEARTBEAT_MS);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  host = `127.0.0.1:${port}`;
  observer.start();

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}/`,
    get view() {
      return observer.view;
    },
    close() {
      closing ??= (async () => {
        unsubscribe();
        clearTimeout(timer);
        clearInterval(heartbeat);
        for (const res of streams) res.end();
        streams.clear();
        await Promise.all([
          observer.close(),
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
        ]);
      })();
      return closing;
    },
  };
}
