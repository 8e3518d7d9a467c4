/**
 * A local stand-in for the Azure Functions host's HTTP front for `authLevel: "function"`
 * triggers, on node:http at a free loopback port: it checks the function key
 * (`x-functions-key` or `?code=`; 401 without the right one), routes `/<route>` to the
 * registered handler (host.json routePrefix ""), builds a real HttpRequest and
 * InvocationContext, and answers the handler's HttpResponseInit — 500 when the handler threw,
 * as the host does.
 *
 *   const host = await startFunctionsHost({ "triggers/order-invoicing": handler }, "the-key");
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import {
  type HttpHandler,
  HttpRequest,
  type HttpResponseInit,
  InvocationContext,
} from "@azure/functions";

export interface FunctionsHost {
  url: string;
  readonly calls: Array<{ route: string; status: number }>;
  close(): Promise<void>;
}

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startFunctionsHost(
  routes: Record<string, HttpHandler>,
  functionKey: string,
): Promise<FunctionsHost> {
  const calls: FunctionsHost["calls"] = [];
  const server = createServer((incoming, response) => {
    void (async () => {
      const url = new URL(incoming.url ?? "/", "http://127.0.0.1");
      const route = url.pathname.replace(/^\//, "");
      const bytes = await bodyOf(incoming);
      const answer = (status: number, init: HttpResponseInit = {}) => {
        calls.push({ route, status });
        const body =
          init.jsonBody !== undefined ? JSON.stringify(init.jsonBody) : String(init.body ?? "");
        response.writeHead(status, {
          "content-type": init.jsonBody !== undefined ? "application/json" : "text/plain",
          ...(init.headers as Record<string, string> | undefined),
        });
        response.end(body);
      };
      const handler = routes[route];
      if (handler === undefined) return answer(404);
      const key = incoming.headers["x-functions-key"] ?? url.searchParams.get("code");
      if (key !== functionKey) return answer(401);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(incoming.headers))
        if (typeof value === "string") headers[name] = value;
      const request = new HttpRequest({
        method: incoming.method ?? "POST",
        url: `https://amqp-mesh-billing.azurewebsites.net${url.pathname}${url.search}`,
        headers,
        body: { bytes },
      });
      const context = new InvocationContext({
        invocationId: randomUUID(),
        functionName: route,
        logHandler: () => {},
      });
      try {
        const result = (await handler(request, context)) as HttpResponseInit;
        answer(result.status ?? 200, result);
      } catch {
        answer(500);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
