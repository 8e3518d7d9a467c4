/**
 * The node:http adapter, beside the clouds' (functions/aws/ingress/, functions/azure/ingress/):
 * the ingress core behind a node:http server, on loopback unless told
 * otherwise (the local platform and the benchmark use it). It translates only: request →
 * IngressRequest, IngressResponse → response.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { keyedByInput } from "../../shared/amqp/index.ts";
import {
  bodyFromNodeStream,
  type Ingress,
  type IngressResponse,
} from "../../shared/ingress/index.ts";

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
  const listener = localIngressListener(ingress, options.log);
  // Per connection, the requests not yet answered (pipelined requests make several).
  const unanswered = new WeakMap<Duplex, Map<ServerResponse, IncomingMessage>>();
  const server: Server = createServer((request, response) => {
    const open = unanswered.get(request.socket) ?? new Map<ServerResponse, IncomingMessage>();
    unanswered.set(request.socket, open);
    open.set(response, request);
    response.once("close", () => open.delete(response));
    listener(request, response);
  });
  // A client that half-closes after its request (shutdown of its sending side) still gets
  // its answer: by default node drops the request's response when the client's side ends,
  // after the message was published. Node's own switch, untyped in @types/node.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on("clientError", (_error, socket) => {
    const refuse = (): void => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
      else socket.destroy();
    };
    // Garbage after whole pipelined requests: their answers go out first, then the 400. A
    // request whose body the error cut short gets the 400 (its body never completes).
    const whole = [...(unanswered.get(socket) ?? [])].filter(([, request]) => request.complete);
    let left = whole.length;
    if (left === 0) refuse();
    for (const [response] of whole)
      response.once("close", () => {
        if (--left === 0) refuse();
      });
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
