/**
 * The console's HTTP server is an input boundary: any method, path, Host header and
 * credentials get an answer from a short list (200 for its own files, data and catalog, 404,
 * 405 for anything but GET and HEAD, 421 for a Host that is not its own: a page elsewhere
 * cannot read it through DNS rebinding; 401 without this run's token, 303 to trade the URL's
 * token for a cookie), and the server keeps serving. Over plain HTTP, as a script or a page
 * elsewhere would ask. The router it watches is not running (a reserved port nothing listens
 * on): the view shows it down.
 */
import { request } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningConsole, startConsole } from "../../../cli/console/server.ts";
import { releasePort, reservePort } from "../../support/free-port.ts";
import { waitForValue } from "../../support/wait.ts";
import {
  loadExampleRegistry,
  loadExampleTopology,
} from "../../unit/router-config/example-project.ts";

interface Answer {
  status: number;
  type: string | undefined;
  body: string;
  location?: string | undefined;
  cookie?: string | undefined;
}

function ask(
  url: URL,
  method: string,
  path: string,
  host: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        // No body: nothing left unread when the server answers at once (else it may reset).
        headers: { host, "content-length": "0", ...headers },
      },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => {
          body += chunk.toString();
          // Events stream on: the first one is enough.
          if (res.headers["content-type"] === "text/event-stream" && body.includes("\n\n"))
            res.destroy();
        });
        const done = () =>
          resolve({
            status: res.statusCode ?? 0,
            type: res.headers["content-type"],
            body,
            location: res.headers.location,
            cookie: res.headers["set-cookie"]?.[0],
          });
        res.on("end", done);
        res.on("close", done);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("the console's HTTP server", () => {
  let running: RunningConsole;
  let url: URL;
  let port: number;
  /** The session cookie the URL's token is traded for. */
  let cookie: Record<string, string>;

  beforeAll(async () => {
    port = await reservePort();
    running = await startConsole({
      project: { registry: loadExampleRegistry(), topology: loadExampleTopology() },
      routers: [{ id: "aws-eu-edge-1", url: `amqp://127.0.0.1:${port}` }],
      // Long enough for a refused connection to say so on a busy machine.
      requestTimeoutMs: 2000,
    });
    url = new URL(running.url);
    const traded = await ask(url, "GET", `/?token=${running.token}`, url.host);
    cookie = { cookie: traded.cookie?.split(";")[0] ?? "" };
  });

  afterAll(async () => {
    await running?.close();
    if (port !== undefined) await releasePort(port);
  });

  it("asks for its token: the URL's is traded for a cookie (HttpOnly, SameSite=Strict) and a redirect without it; the cookie or a bearer header opens it, nothing else does", async () => {
    const own = url.host;
    expect(running.url).toBe(`${running.origin}?token=${running.token}`);
    expect(running.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const traded = await ask(url, "GET", `/api/view?token=${running.token}`, own);
    expect(traded.status).toBe(303);
    expect(traded.location).toBe("/api/view");
    expect(traded.cookie).toBe(
      `amqp-mesh-console-${url.port}=${running.token}; Path=/; HttpOnly; SameSite=Strict`,
    );
    for (const path of ["/", "/console.js", "/api/view", "/events", "/catalog/", "/nowhere"]) {
      const refused = await ask(url, "GET", path, own);
      expect(refused.status, path).toBe(401);
      expect(refused.body).toContain("this console needs its token");
      expect(refused.body).not.toContain(running.token);
    }
    const wrong = running.token.replace(/^./, (c) => (c === "A" ? "B" : "A"));
    expect((await ask(url, "GET", `/?token=${wrong}`, own)).status).toBe(401);
    expect(
      (await ask(url, "GET", "/", own, { cookie: `amqp-mesh-console-${url.port}=${wrong}` }))
        .status,
    ).toBe(401);
    // Another console's cookie (another port) does not open this one.
    expect(
      (await ask(url, "GET", "/", own, { cookie: `amqp-mesh-console-1=${running.token}` })).status,
    ).toBe(401);
    expect((await ask(url, "GET", "/", own, { authorization: `Bearer ${wrong}` })).status).toBe(
      401,
    );
    expect((await ask(url, "GET", "/", own, cookie)).status).toBe(200);
    expect(
      (await ask(url, "GET", "/api/view", own, { authorization: `Bearer ${running.token}` }))
        .status,
    ).toBe(200);
  });

  it("serves its page, script, style, the view as JSON and as events, the catalog; the router that does not answer is down", async () => {
    const own = url.host;
    const get = (path: string) => ask(url, "GET", path, own, cookie);
    expect((await get("/")).type).toBe("text/html; charset=utf-8");
    expect((await get("/")).body).toContain('href="/catalog/"');
    expect((await get("/console.js")).body).toContain('new EventSource("/events")');
    expect((await get("/console.css")).status).toBe(200);
    const page = await get("/catalog/");
    expect(page.type).toBe("text/html; charset=utf-8");
    expect(page.body).toContain("sales/orders");
    const document = await get("/catalog/sales.asyncapi.yaml");
    expect(document.type).toBe("application/yaml; charset=utf-8");
    expect(document.body).toMatch(/^asyncapi: 3\.0\.0$/m);
    expect((await get("/catalog/nobody.asyncapi.yaml")).status).toBe(404);
    const view = await waitForValue(
      async () => {
        const v = JSON.parse((await get("/api/view")).body) as {
          routers: { state: string; error?: string }[];
        };
        return v.routers[0]?.state === "down" ? v : undefined;
      },
      { timeout: 10_000, interval: 100, what: "the router shown down" },
    );
    expect(view.routers[0]?.error).toMatch(/connection refused|nothing listens/);
    const events = await get("/events");
    expect(events.type).toBe("text/event-stream");
    expect(events.body).toMatch(/^retry: 1000\nevent: view\ndata: \{/);
  });

  it("any method, path, Host and credentials: one of 200, 303, 401, 404, 405, 421, as the rules say; it keeps serving", async () => {
    const files = new Set([
      "/",
      "/console.js",
      "/console.css",
      "/api/view",
      "/catalog/",
      "/catalog/catalog.html",
      "/catalog/sales.asyncapi.yaml",
    ]);
    const own = url.host;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"),
        fc.oneof(
          fc.constantFrom(...files, "/events", "/api", "/../etc/passwd", "//x"),
          fc.webPath().map((p) => p || "/"),
        ),
        fc.oneof(
          fc.constant(own),
          fc.constant(`localhost:${url.port}`),
          fc.domain(),
          fc.constant(`127.0.0.1:${Number(url.port) + 1}`),
        ),
        fc.constantFrom("cookie", "bearer", "url", "none", "wrong"),
        async (method, path, host, credentials) => {
          const wrong = `x${running.token.slice(1)}`;
          const withToken =
            credentials === "url" ? `${path.split(/[?#]/)[0]}?token=${running.token}` : path;
          const answer = await ask(
            url,
            method,
            withToken,
            host,
            {
              cookie,
              bearer: { authorization: `Bearer ${running.token}` },
              url: {},
              none: {},
              wrong: { cookie: `amqp-mesh-console-${url.port}=${wrong}` },
            }[credentials],
          );
          const hostOk = host === own || host === `localhost:${url.port}`;
          const pathname = withToken.split(/[?#]/, 1)[0] ?? "/";
          const expected = !hostOk
            ? 421
            : credentials === "none" || credentials === "wrong"
              ? 401
              : method !== "GET" && method !== "HEAD"
                ? 405
                : credentials === "url"
                  ? 303
                  : files.has(pathname) || pathname === "/events" || pathname === "/catalog"
                    ? pathname === "/catalog"
                      ? 308
                      : 200
                    : 404;
          expect(answer.status).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
    expect((await ask(url, "GET", "/", own, cookie)).status).toBe(200);
  });
});
