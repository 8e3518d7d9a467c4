/**
 * The local adapter: the ingress core behind a node:http server, on loopback unless told
 * otherwise (the local platform and the benchmark use it). It translates only: request →
 * IngressRequest, IngressResponse → response.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { keyedByInput } from "../amqp/index.ts";
import { bodyFromNodeStream } from "./body.ts";
import type { Ingress, IngressResponse } from "./ingress.ts";

export interface LocalIngressOptions {
  /** Default 127.0.0.1: local runs stay on loopback. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** One line per request (method, path, status, principal, channel); never headers or bodies. */
  log?: (line: string) => void;
}

export interface LocalIngressServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function headersOf(request: IncomingMessage): Record<string, string | undefined> {
  // Keyed by what the client sent: without a prototype, a header `__proto__` is a header.
  const headers = keyedByInput<string | undefined>();
  for (const [name, value] of Object.entries(request.headers))
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  return headers;
}

function send(
  response: ServerResponse,
  result: Pick<IngressResponse, "status" | "headers" | "body">,
  close: boolean,
): void {
  const headers: Record<string, string | number> = {
    ...result.headers,
    "content-length": Buffer.byteLength(result.body),
  };
  // An unread oversize upload: stop it rather than read it to the end.
  if (close) headers.connection = "close";
  response.writeHead(result.status, headers);
  response.end(result.body);
}

export function localIngressListener(
  ingress: Ingress,
  log?: (line: string) => void,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const headers = headersOf(request);
    ingress
      .handle({
        method: request.method ?? "GET",
        path: request.url ?? "/",
        headers,
        body: bodyFromNodeStream(request, headers["content-length"]),
      })
      .then(
        (result) => {
          send(response, result, result.status === 413 && !request.complete);
          const o = result.outcome;
          log?.(
            `${request.method} ${request.url} → ${result.status}` +
              (o.principal ? ` principal=${o.principal}` : "") +
              (o.channel ? ` channel=${o.channel}` : "") +
              (o.published > 0 ? ` published=${o.published}` : "") +
              (o.error === undefined
                ? ""
                : ` error=${o.error instanceof Error ? o.error.message : String(o.error)}`),
          );
        },
        (error: unknown) => {
          // handle() answers every error itself; this is a last line of defence.
          send(
            response,
            { status: 500, headers: { "content-type": "text/plain" }, body: "internal error" },
            true,
          );
          log?.(`${request.method} ${request.url} → 500 ${String(error)}`);
        },
      );
  };
}

export async function startLocalIngress(
  ingress: Ingress,
  options: LocalIngressOptions = {},
): Promise<LocalIngressServer> {
  const server: Server = createServer(localIngressListener(ingress, options.log));
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
