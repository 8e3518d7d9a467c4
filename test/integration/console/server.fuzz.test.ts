/**
 * The console's HTTP server is an input boundary: any method, path and Host header gets an
 * answer from a short list (200 for its own files and data, 404, 405 for anything but GET and
 * HEAD, 421 for a Host that is not its own: a page elsewhere cannot read it through DNS
 * rebinding), and the server keeps serving. The router it watches is not running (a reserved
 * port nothing listens on): the view shows it down.
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
}

function ask(url: URL, method: string, path: string, host: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers: { host } },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => {
          body += chunk.toString();
          // Events stream on: the first one is enough.
          if (res.headers["content-type"] === "text/event-stream" && body.includes("\n\n"))
            res.destroy();
        });
        const done = () =>
          resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"], body });
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

  beforeAll(async () => {
    port = await reservePort();
    running = await startConsole({
      project: { registry: loadExampleRegistry(), topology: loadExampleTopology() },
      routers: [{ id: "aws-eu-edge-1", url: `amqp://127.0.0.1:${port}` }],
      requestTimeoutMs: 500,
    });
    url = new URL(running.url);
  });

  afterAll(async () => {
    await running?.close();
    if (port !== undefined) await releasePort(port);
  });

  it("serves its page, script, style, the view as JSON and as events; the router that does not answer is down", async () => {
    const own = url.host;
    expect((await ask(url, "GET", "/", own)).type).toBe("text/html; charset=utf-8");
    expect((await ask(url, "GET", "/console.js", own)).body).toContain(
      'new EventSource("/events")',
    );
    expect((await ask(url, "GET", "/console.css", own)).status).toBe(200);
    const view = await waitForValue(
      async () => {
        const v = JSON.parse((await ask(url, "GET", "/api/view", own)).body) as {
          routers: { state: string; error?: string }[];
        };
        return v.routers[0]?.state === "down" ? v : undefined;
      },
      { timeout: 10_000, interval: 100, what: "the router shown down" },
    );
    expect(view.routers[0]?.error).toMatch(/connection refused|nothing listens/);
    const events = await ask(url, "GET", "/events", own);
    expect(events.type).toBe("text/event-stream");
    expect(events.body).toMatch(/^retry: 1000\nevent: view\ndata: \{/);
  });

  it("any method, path and Host: one of 200, 404, 405, 421, as the rules say; it keeps serving", async () => {
    const files = new Set(["/", "/console.js", "/console.css", "/api/view"]);
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
        async (method, path, host) => {
          const answer = await ask(url, method, path, host);
          const hostOk = host === own || host === `localhost:${url.port}`;
          const pathname = path.split(/[?#]/, 1)[0] ?? "/";
          const expected = !hostOk
            ? 421
            : method !== "GET" && method !== "HEAD"
              ? 405
              : files.has(pathname) || pathname === "/events"
                ? 200
                : 404;
          expect(answer.status).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
    expect((await ask(url, "GET", "/", own)).status).toBe(200);
  });
});
