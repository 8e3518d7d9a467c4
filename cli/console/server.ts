/**
 * The mesh console: a page on loopback that shows a mesh live. A MeshObserver reads the
 * routers over AMQP management (and the brokers' queue depths over AMQP 1.0); this server
 * hands out the page (three static files from the package, no build step, nothing from the
 * network), the current view as JSON, every new view as Server-Sent Events (at most a few a
 * second), and the channel catalog of the registry it was last given (`/catalog/`).
 *
 * It shows every channel of the mesh, so it is not open to whoever can reach the port: only
 * loopback; only requests whose Host is this server's (a page elsewhere cannot reach it
 * through DNS rebinding); only GET; and only with this run's token — in the URL it prints
 * (`/?token=…`, traded at once for a cookie and a redirect to the URL without it), in that
 * cookie (HttpOnly, SameSite=Strict), or as `Authorization: Bearer <token>` for scripts.
 *
 *   const c = await startConsole({ project, routers, log: console.log });
 *   console.log(c.url);   …   c.setProject(next);   …   await c.close();
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  MeshObserver,
  type MeshView,
  type ObservedProject,
  type ObservedRouter,
  type SecretLookup,
} from "../../shared/observe/index.ts";
import type { DesiredConfigs } from "../../shared/sync/index.ts";
import { LiveCatalog } from "./live-catalog.ts";

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
  /** Between two readings of the brokers' queue depths (default 5000 ms). */
  brokerIntervalMs?: number;
  /** The brokers' passwords by reference (default: `env:NAME` from the environment). */
  secrets?: SecretLookup;
  /** Where the served catalog's files are kept (the baseline of its versions); none: memory only. */
  catalogDir?: string;
  /** The token a request must carry (default: 32 random bytes, base64url, new every run). */
  token?: string;
  log?: (line: string) => void;
}

export interface RunningConsole {
  /** What to open: the console's address with this run's token (`http://127.0.0.1:port/?token=…`). */
  url: string;
  /** The console's address without the token (`http://127.0.0.1:port/`). */
  origin: string;
  /** This run's token (`Authorization: Bearer <token>`). */
  token: string;
  /** The latest view. */
  readonly view: MeshView;
  /** The catalog served at `/catalog/`. */
  readonly catalog: LiveCatalog;
  /**
   * Another registry is enforced now (config-sync accepted it): the channels, drift and
   * catalog follow it.
   */
  setProject(project: ObservedProject, desired?: DesiredConfigs): Promise<void>;
  close(): Promise<void>;
}

const STATIC_DIR = join(import.meta.dirname, "static");
const CATALOG_PREFIX = "/catalog/";
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

/** The value of one cookie in a Cookie header, if it is there. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Whether `given` is the token, in time that does not depend on where they differ. */
function sameToken(given: string | undefined, token: Buffer): boolean {
  if (given === undefined) return false;
  const bytes = Buffer.from(given);
  return bytes.length === token.length && timingSafeEqual(bytes, token);
}

export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const files = new Map<string, Buffer>();
  for (const [path, { file }] of Object.entries(FILES))
    files.set(path, await readFile(join(STATIC_DIR, file)));
  const token = options.token ?? randomBytes(32).toString("base64url");
  if (!/^[A-Za-z0-9_-]{16,}$/.test(token))
    throw new RangeError("a console token is at least 16 characters of A-Z a-z 0-9 _ -");
  const tokenBytes = Buffer.from(token);
  const catalog = await LiveCatalog.start(options.project, {
    ...(options.catalogDir === undefined ? {} : { dir: options.catalogDir }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const observer = new MeshObserver({
    project: options.project,
    routers: options.routers,
    ...(options.desired === undefined ? {} : { desired: options.desired }),
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    ...(options.requestTimeoutMs === undefined
      ? {}
      : { requestTimeoutMs: options.requestTimeoutMs }),
    ...(options.driftIntervalMs === undefined ? {} : { driftIntervalMs: options.driftIntervalMs }),
    ...(options.brokerIntervalMs === undefined
      ? {}
      : { brokerIntervalMs: options.brokerIntervalMs }),
    ...(options.secrets === undefined ? {} : { secrets: options.secrets }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const streams = new Set<ServerResponse>();
  let host = "";
  let cookieName = "";

  /** The request carries the token (cookie or bearer); or the URL's `token`, or nothing. */
  const credentials = (req: IncomingMessage, query: string): "ok" | "url" | "none" => {
    if (sameToken(cookieValue(req.headers.cookie, cookieName), tokenBytes)) return "ok";
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (sameToken(bearer, tokenBytes)) return "ok";
    return sameToken(new URLSearchParams(query).get("token") ?? undefined, tokenBytes)
      ? "url"
      : "none";
  };

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
    // The path as sent, without its query: no URL parsing (`//x` is no valid URL to parse).
    const raw = req.url ?? "/";
    const path = raw.split(/[?#]/, 1)[0] ?? "/";
    const query = raw.slice(path.length + 1).split("#", 1)[0] ?? "";
    const given = credentials(req, query);
    if (given === "none") {
      res
        .writeHead(401, { "content-type": "text/plain; charset=utf-8" })
        .end(
          "this console needs its token: open the URL it printed when it started (…/?token=…), " +
            "or send Authorization: Bearer <token>\n",
        );
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("only GET\n");
      return;
    }
    if (given === "url") {
      // The token leaves the address bar (and the history) at once; the cookie carries it on.
      res
        .writeHead(303, {
          location: /^\/(?!\/)[\w.~/-]*$/.test(path) ? path : "/",
          "set-cookie": `${cookieName}=${token}; Path=/; HttpOnly; SameSite=Strict`,
        })
        .end();
      return;
    }
    if (path === "/catalog") {
      res.writeHead(308, { location: CATALOG_PREFIX }).end();
      return;
    }
    if (path.startsWith(CATALOG_PREFIX)) {
      const name = path.slice(CATALOG_PREFIX.length) || "catalog.html";
      const file = catalog.file(name);
      if (file === undefined) {
        res.writeHead(404, { "content-type": "text/plain" }).end("no such catalog file\n");
        return;
      }
      res
        .writeHead(200, {
          "content-type": file.type,
          ...(file.policy === undefined ? {} : { "content-security-policy": file.policy }),
        })
        .end(req.method === "HEAD" ? undefined : file.text);
      return;
    }
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
  // Cookies are not kept apart by port: one name per console, so two never overwrite each other.
  cookieName = `amqp-mesh-console-${port}`;
  observer.start();

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}/?token=${token}`,
    origin: `http://${host}/`,
    token,
    get view() {
      return observer.view;
    },
    catalog,
    async setProject(project, desired) {
      observer.setProject(project, desired);
      await catalog.update(project);
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
