/**
 * Both clouds' HTTP ingress on the local platform, each behind its own loopback port: the
 * AWS handler (middy; an API Gateway HTTP API payload v2 event built from the node:http
 * request, as API Gateway builds it) and the Azure handler (a Functions `HttpRequest` and
 * `InvocationContext`, as the Functions host builds them). Each is configured through the
 * settings the deployed function reads from its environment (MESH_URLS = its own cloud's edge
 * routers, in failover order; its own SASL login; INGRESS_API_KEYS) and reads its registry as
 * the deployed one does: from its cloud's store, live (`function-registries.ts`), each request
 * checked against the release current when it came in. When that release changes, the
 * ingress opens a new connection to its routers (`renewable-publisher.ts`).
 */
import { randomUUID } from "node:crypto";
import type { WriteStream } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { HttpRequest, InvocationContext } from "@azure/functions";
import { createIngressHandler, type HttpApiEvent } from "../../functions/aws/ingress/handler.ts";
import { createIngressHttpHandler } from "../../functions/azure/ingress/handler.ts";
import { RenewablePublisher } from "../../shared/amqp/index.ts";
import {
  CallerAuthenticator,
  createIngress,
  ingressSettingsFromEnv,
} from "../../shared/ingress/index.ts";
import { DeployedRegistry } from "../../shared/registry-snapshot/index.ts";
import { lambdaContext, logToFile } from "./cloud-sync.ts";
import type { FunctionRegistries } from "./function-registries.ts";

/** API Gateway's payload limit (10 MB): a larger body is refused before the function. */
const MAX_BODY = 10 * 1024 * 1024;

export interface FrontRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: Buffer;
}
interface FrontResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface CloudIngress {
  cloud: "aws" | "azure";
  url: string;
  /** The edge routers it publishes through, in failover order. */
  routers: string[];
  login: string;
  /** The registry it enforces now (its release's digest). */
  readonly registryDigest: string;
  close(): Promise<void>;
}

export interface CloudIngressOptions {
  cloud: "aws" | "azure";
  /** The cloud's edge routers, in failover order. */
  routers: ReadonlyArray<{ id: string; url: string }>;
  login: { username: string; password: string };
  /** INGRESS_API_KEYS as deployed: [{ principal, sha256 }]. */
  apiKeys: ReadonlyArray<{ principal: string; sha256: string }>;
  /** Where it reads the registry (its own reader of its cloud's store is opened here). */
  registries: FunctionRegistries;
  log: WriteStream;
  port?: number;
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function serve(
  handle: (request: FrontRequest) => Promise<FrontResponse>,
  port: number,
): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    void (async () => {
      let result: FrontResponse;
      try {
        const body = await readBody(request);
        if (body === undefined) {
          result = {
            status: 413,
            headers: { "content-type": "application/json" },
            body: '{"message":"Request Entity Too Large"}',
          };
        } else {
          const url = new URL(request.url ?? "/", "http://127.0.0.1");
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(request.headers))
            if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
          result = await handle({
            method: request.method ?? "GET",
            path: url.pathname,
            query: url.search.slice(1),
            headers,
            body,
          });
        }
      } catch (error) {
        result = {
          status: 500,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message: `Internal Server Error: ${(error as Error).message}` }),
        };
      }
      response.writeHead(result.status, result.headers);
      response.end(result.body);
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${address.port}` };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Sent as text when the type is textual and the bytes are UTF-8; otherwise base64. */
function asText(contentType: string | undefined, body: Buffer): boolean {
  if (contentType !== undefined && !/json|text|xml|form-urlencoded/i.test(contentType))
    return false;
  try {
    utf8.decode(body);
    return true;
  } catch {
    return false;
  }
}

/** A path segment decoded; as sent when it is not valid percent-encoding. */
function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The HTTP API v2 event API Gateway hands the Lambda for this request. */
export function httpApiEvent(request: FrontRequest): HttpApiEvent {
  const now = Date.now();
  const text = asText(request.headers["content-type"], request.body);
  const segments = request.path.split("/");
  return {
    version: "2.0",
    routeKey: "POST /channels/{channel}/messages",
    rawPath: request.path,
    rawQueryString: request.query,
    headers: request.headers,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: "127.0.0.1",
      domainPrefix: "local",
      http: {
        method: request.method,
        path: request.path,
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: request.headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: "POST /channels/{channel}/messages",
      stage: "$default",
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(segments[1] === "channels" && segments[2] !== undefined
      ? { pathParameters: { channel: decodedSegment(segments[2]) } }
      : {}),
    ...(request.body.length === 0 ? {} : { body: request.body.toString(text ? "utf8" : "base64") }),
    isBase64Encoded: request.body.length > 0 && !text,
  } as HttpApiEvent;
}

function headersOf(init: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (init === undefined || init === null) return out;
  const entries =
    init instanceof Headers
      ? [...init.entries()]
      : Array.isArray(init)
        ? (init as [string, string][])
        : Object.entries(init as Record<string, string>);
  for (const [name, value] of entries) out[name] = String(value);
  return out;
}

export async function startCloudIngress(options: CloudIngressOptions): Promise<CloudIngress> {
  const settings = ingressSettingsFromEnv({
    MESH_URLS: options.routers.map((r) => r.url).join(","),
    MESH_SASL_USERNAME: options.login.username,
    MESH_SASL_PASSWORD: options.login.password,
    INGRESS_API_KEYS: JSON.stringify(options.apiKeys),
  });
  const line = (text: string) => options.log.write(`${new Date().toISOString()} ${text}\n`);
  const client = new RenewablePublisher(settings.mesh, { log: line });
  const { bundled } = options.registries;
  const { live } = options.registries.open(`${options.cloud} ingress`, options.cloud, line);
  // The routers grant a new registry's rights to connections opened after it.
  live.onChange(() => void client.renew());
  const registry = new DeployedRegistry(bundled.snapshot);
  const ingress = createIngress({
    registry,
    authenticator: new CallerAuthenticator(registry, settings.auth),
    validators: bundled.validators,
    view: live,
    publisher: client,
    publishDeadlineMs: settings.publishDeadlineMs,
  });
  client.connect().catch((error: unknown) => line(`edge routers not reachable: ${String(error)}`));

  let handle: (request: FrontRequest) => Promise<FrontResponse>;
  if (options.cloud === "aws") {
    const logger = logToFile(new Logger({ serviceName: "amqp-mesh-ingress" }), options.log);
    const metrics = logToFile(
      new Metrics({ namespace: "amqp-mesh", serviceName: "ingress", logger }),
      options.log,
    );
    const handler = createIngressHandler(ingress, { logger, metrics });
    handle = async (request) => {
      const result = await handler(
        httpApiEvent(request),
        lambdaContext("amqp-mesh-ingress", 29_000),
      );
      return {
        status: result.statusCode ?? 200,
        headers: headersOf(result.headers),
        body: result.body ?? "",
      };
    };
  } else {
    const handler = createIngressHttpHandler(ingress, { trustAppServiceAuth: false });
    handle = async (request) => {
      const httpRequest = new HttpRequest({
        method: request.method,
        url: `http://127.0.0.1${request.path}${request.query ? `?${request.query}` : ""}`,
        headers: request.headers,
        ...(request.body.length === 0 ? {} : { body: { bytes: request.body } }),
        params: { channel: decodedSegment(request.path.split("/")[2] ?? "") },
      });
      const context = new InvocationContext({
        invocationId: randomUUID(),
        functionName: "ingress",
        logHandler: (level, ...args) =>
          line(
            `${level} ingress ${args.map((a) => (typeof a === "string" ? a : String(a))).join(" ")}`,
          ),
      });
      const result = await handler(httpRequest, context);
      return {
        status: result.status ?? 200,
        headers: headersOf(result.headers),
        body:
          typeof result.body === "string"
            ? result.body
            : result.body === undefined
              ? ""
              : String(result.body),
      };
    };
  }
  const { server, url } = await serve(handle, options.port ?? 0);
  return {
    cloud: options.cloud,
    url,
    routers: options.routers.map((r) => r.id),
    login: options.login.username,
    get registryDigest() {
      return live.digest;
    },
    close: async () => {
      live.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await client.close(500);
    },
  };
}
