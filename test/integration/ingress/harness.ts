/**
 * The ingress against the emulator over TCP, driven through each adapter with the events
 * its platform sends: API Gateway HTTP API v2 events into the middy handler, Azure
 * HttpRequest + InvocationContext into the v4 handler, real HTTP requests into the local
 * node:http server. The registry is the example project's.
 *
 *   const h = await IngressHarness.start(mesh.router("edge").url);
 *   const consumer = await h.consume("sales/orders");
 *   const answer = await h.driver("lambda").send({ path, headers: h.apiKeyHeaders(), body });
 *   await consumer.expectNothingPublished();          // a sentinel is the next message
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { HttpRequest, InvocationContext } from "@azure/functions";
import type { Context } from "aws-lambda";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { createIngressHandler, type HttpApiEvent } from "../../../functions/aws/ingress/handler.ts";
import { createIngressHttpHandler } from "../../../functions/azure/ingress/handler.ts";
import { type LocalIngressServer, startLocalIngress } from "../../../functions/node/ingress.ts";
import { MeshClient, type ReceivedMessage } from "../../../shared/amqp/index.ts";
import {
  type AuthOptions,
  CallerAuthenticator,
  createIngress,
  type Ingress,
  type JwtOptions,
  newApiKey,
} from "../../../shared/ingress/index.ts";
import { type ChannelRegistry, validateProject } from "../../../shared/registry/index.ts";
import {
  DeployedRegistry,
  runtimeValidators,
  snapshotRegistry,
} from "../../../shared/registry-snapshot/index.ts";
import { waitFor } from "../../support/wait.ts";

export type AdapterName = "lambda" | "azure" | "local";
export const ADAPTERS: AdapterName[] = ["lambda", "azure", "local"];

export interface HttpCall {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Lambda: the principal of an API Gateway JWT authorizer. */
  authorizerSub?: string;
  /** Lambda: what context.getRemainingTimeInMillis() says. */
  remainingMs?: number;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers as free JSON
  json(): any;
}

export interface Driver {
  send(call: HttpCall): Promise<HttpAnswer>;
}

function answer(status: number, headers: Record<string, string>, body: string): HttpAnswer {
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = String(v);
  return { status, headers: lower, body, json: () => JSON.parse(body) };
}

let examples: ChannelRegistry | undefined;

/** The example project's registry (validated once per file). */
export async function exampleRegistry(): Promise<ChannelRegistry> {
  if (examples === undefined) {
    const { registry, diagnostics } = await validateProject("examples");
    const errors = diagnostics.filter((d) => d.severity === "error");
    if (registry === undefined || errors.length > 0)
      throw new Error(`examples are invalid: ${errors.map((e) => e.message).join("; ")}`);
    examples = registry;
  }
  return examples;
}

export const ISSUER = "https://idp.example.test/";
export const AUDIENCE = "amqp-mesh-ingress";

export interface HarnessOptions {
  publishDeadlineMs?: number;
  /** Fetch the issuer's keys from this URL instead of configuring them inline. */
  jwksUrl?: string;
  /** More JWT settings (maximum token age, JWKS failure backoff). */
  jwt?: Partial<JwtOptions>;
  /** Identity providers accepted for a platform principal (Azure App Service). */
  platformIdentityProviders?: string[];
}

export interface DriverOptions {
  /** Azure: App Service authentication is on (WEBSITE_AUTH_ENABLED). */
  trustAppServiceAuth?: boolean;
}

/** One test's ingress: its own AMQP clients, keys and token issuer. */
export class IngressHarness {
  /** The issuer's public key, as its JWKS endpoint would serve it. */
  readonly publicJwk: JWK;
  readonly keys: Record<string, string> = {};
  readonly publisher: MeshClient;
  readonly ingress: Ingress;
  private readonly clients: MeshClient[] = [];
  private local: LocalIngressServer | undefined;
  private signingKey: CryptoKey | undefined;
  private localLogs: string[] = [];
  /** What the Lambda handler's Powertools metrics wrote (EMF JSON lines). */
  readonly metricsOutput: string[] = [];

  readonly url: string;

  private constructor(
    url: string,
    registry: ChannelRegistry,
    jwk: JWK,
    signingKey: CryptoKey,
    options: HarnessOptions,
  ) {
    this.url = url;
    this.publicJwk = { ...jwk, alg: "ES256", kid: "k1" };
    const ingressRegistry = new DeployedRegistry(snapshotRegistry(registry));
    const apiKeys = ["sales-api", "logistics-tracker"].map((principal) => {
      const { key, entry } = newApiKey(principal);
      this.keys[principal] = key;
      return entry;
    });
    const auth: AuthOptions = {
      apiKeys,
      jwt: {
        issuer: ISSUER,
        audience: AUDIENCE,
        ...(options.jwksUrl === undefined
          ? { jwks: { keys: [this.publicJwk] } }
          : { jwksUrl: options.jwksUrl }),
        ...options.jwt,
      },
      ...(options.platformIdentityProviders === undefined
        ? {}
        : { platformIdentityProviders: options.platformIdentityProviders }),
    };
    this.signingKey = signingKey;
    this.publisher = this.client();
    this.ingress = createIngress({
      registry: ingressRegistry,
      authenticator: new CallerAuthenticator(ingressRegistry, auth),
      validators: runtimeValidators(),
      publisher: this.publisher,
      publishDeadlineMs: options.publishDeadlineMs ?? 2_000,
    });
  }

  static async start(url: string, options: HarnessOptions = {}): Promise<IngressHarness> {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    return new IngressHarness(
      url,
      await exampleRegistry(),
      await exportJWK(publicKey),
      privateKey,
      options,
    );
  }

  client(): MeshClient {
    const client = new MeshClient({
      urls: [this.url],
      reconnect: { initialDelayMs: 20, maxDelayMs: 200, maxAttempts: 3 },
    });
    this.clients.push(client);
    return client;
  }

  apiKey(principal = "sales-api"): Record<string, string> {
    return { "x-api-key": this.keys[principal] as string };
  }

  async token(
    /** `exp: null` leaves the expiry out, `iat: null` the issue time. */
    claims: {
      sub?: string;
      exp?: number | null;
      iat?: number | null;
      iss?: string;
      aud?: string;
    } = {},
    key: CryptoKey | undefined = this.signingKey,
  ): Promise<string> {
    const jwt = new SignJWT({
      ...(claims.sub === undefined ? { sub: "sales-api" } : { sub: claims.sub }),
    })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer(claims.iss ?? ISSUER)
      .setAudience(claims.aud ?? AUDIENCE);
    if (claims.iat !== null) jwt.setIssuedAt(claims.iat);
    if (claims.exp !== null)
      jwt.setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 300);
    return jwt.sign(key as CryptoKey);
  }

  /** A consumer on `address` collecting what arrives (settled by `settle`, default accept). */
  async consume(
    address: string,
    settle: (message: ReceivedMessage) => void = () => {},
  ): Promise<ChannelProbe> {
    const client = this.client();
    const received: ReceivedMessage[] = [];
    const consumer = client.consume(
      address,
      (message) => {
        received.push(message);
        settle(message);
      },
      { prefetch: 50 },
    );
    await consumer.ready();
    return new ChannelProbe(address, received, this.client());
  }

  driver(name: AdapterName, options: DriverOptions = {}): Driver {
    switch (name) {
      case "lambda":
        return this.lambdaDriver();
      case "azure":
        return this.azureDriver(options);
      case "local":
        return this.localDriver();
    }
  }

  private lambdaDriver(): Driver {
    const logger = new Logger({ serviceName: "ingress-test", logLevel: "SILENT" });
    const metrics = new Metrics({ namespace: "amqp-mesh-test", serviceName: "ingress" });
    const handler = createIngressHandler(this.ingress, { logger, metrics });
    return {
      send: async (call) => {
        const event = apiGatewayEvent(call);
        const context = lambdaContext(call.remainingMs ?? 10_000);
        const result = await captured(this.metricsOutput, () => handler(event, context));
        return answer(
          result.statusCode ?? 200,
          (result.headers ?? {}) as Record<string, string>,
          result.body ?? "",
        );
      },
    };
  }

  private azureDriver(options: DriverOptions): Driver {
    const handler = createIngressHttpHandler(this.ingress, {
      trustAppServiceAuth: options.trustAppServiceAuth ?? false,
    });
    return {
      send: async (call) => {
        const bytes = typeof call.body === "string" ? Buffer.from(call.body) : call.body;
        const request = new HttpRequest({
          method: call.method ?? "POST",
          url: `https://amqp-mesh-ingress.azurewebsites.net${call.path}`,
          headers: {
            ...(bytes === undefined ? {} : { "content-length": String(bytes.byteLength) }),
            ...call.headers,
          },
          ...(bytes === undefined ? {} : { body: { bytes } }),
          params: { channel: call.path.split("/")[2] ?? "" },
        });
        const logs: unknown[][] = [];
        const context = new InvocationContext({
          invocationId: crypto.randomUUID(),
          functionName: "ingress",
          logHandler: (_level, ...args) => logs.push(args),
        });
        const result = await handler(request, context);
        const response = result as {
          status?: number;
          headers?: Record<string, string>;
          body?: unknown;
        };
        return answer(response.status ?? 200, response.headers ?? {}, String(response.body ?? ""));
      },
    };
  }

  private localDriver(): Driver {
    return {
      send: async (call) => {
        this.local ??= await startLocalIngress(this.ingress, {
          log: (line) => this.localLogs.push(line),
        });
        const response = await fetch(`${this.local.url}${call.path}`, {
          method: call.method ?? "POST",
          headers: call.headers ?? {},
          ...(call.body === undefined ? {} : { body: call.body }),
        });
        const headers: Record<string, string> = {};
        response.headers.forEach((v, k) => {
          headers[k] = v;
        });
        return answer(response.status, headers, await response.text());
      },
    };
  }

  /** The local server's URL, once the local driver sent a first request. */
  get localServerUrl(): string | undefined {
    return this.local?.url;
  }

  get localServerLog(): readonly string[] {
    return this.localLogs;
  }

  async close(): Promise<void> {
    await this.local?.close();
    for (const c of this.clients.reverse()) await c.close(100);
  }
}

/** What reached a channel; proves absence with a sentinel sent after the request. */
export class ChannelProbe {
  readonly address: string;
  readonly received: ReceivedMessage[];
  private readonly sentinelClient: MeshClient;

  constructor(address: string, received: ReceivedMessage[], sentinelClient: MeshClient) {
    this.address = address;
    this.received = received;
    this.sentinelClient = sentinelClient;
  }

  async waitFor(count: number): Promise<ReceivedMessage[]> {
    await waitFor(() => this.received.length >= count, {
      timeout: 5_000,
      what: `${count} message(s) on ${this.address}`,
    });
    return this.received;
  }

  /**
   * Nothing the ingress did reached the channel: a sentinel published now is the first
   * (and only) message the consumer ever received.
   */
  async expectNothingPublished(): Promise<void> {
    const id = `sentinel-${crypto.randomUUID()}`;
    await this.sentinelClient.publish(this.address, { body: { sentinel: true }, messageId: id });
    await this.waitFor(1);
    const ids = this.received.map((m) => m.messageId);
    if (ids.length !== 1 || ids[0] !== id)
      throw new Error(
        `channel ${this.address} received ${JSON.stringify(ids)} instead of only the sentinel ${id}`,
      );
  }
}

/** An API Gateway HTTP API (payload 2.0) event as Lambda receives it. */
export function apiGatewayEvent(call: HttpCall): HttpApiEvent {
  const method = call.method ?? "POST";
  const [rawPath, rawQueryString = ""] = call.path.split("?") as [string, string?];
  const binary = call.body instanceof Uint8Array;
  const headers: Record<string, string> = {
    host: "abc123.execute-api.eu-west-1.amazonaws.com",
    "user-agent": "curl/8.5.0",
    "x-amzn-trace-id": "Root=1-67891233-abcdef012345678912345678",
    "x-forwarded-for": "203.0.113.7",
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https",
  };
  if (call.body !== undefined)
    headers["content-length"] = String(
      binary ? (call.body as Uint8Array).byteLength : Buffer.byteLength(call.body as string),
    );
  // API Gateway lowercases header names in payload 2.0.
  for (const [k, v] of Object.entries(call.headers ?? {})) headers[k.toLowerCase()] = v;
  const now = Date.now();
  return {
    version: "2.0",
    routeKey: "POST /channels/{channel}/messages",
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "abc123.execute-api.eu-west-1.amazonaws.com",
      domainPrefix: "abc123",
      http: {
        method,
        path: rawPath,
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.7",
        userAgent: "curl/8.5.0",
      },
      requestId: `req-${now}`,
      routeKey: "POST /channels/{channel}/messages",
      stage: "$default",
      time: new Date(now).toUTCString(),
      timeEpoch: now,
      ...(call.authorizerSub === undefined
        ? {}
        : {
            authorizer: { jwt: { claims: { sub: call.authorizerSub, iss: ISSUER }, scopes: null } },
          }),
    },
    pathParameters: { channel: decodeURIComponent(rawPath.split("/")[2] ?? "") },
    ...(call.body === undefined
      ? {}
      : binary
        ? { body: Buffer.from(call.body as Uint8Array).toString("base64") }
        : { body: call.body as string }),
    isBase64Encoded: binary,
  };
}

export function lambdaContext(remainingMs: number): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "amqp-mesh-ingress",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:amqp-mesh-ingress",
    memoryLimitInMB: "512",
    awsRequestId: crypto.randomUUID(),
    logGroupName: "/aws/lambda/amqp-mesh-ingress",
    logStreamName: "2026/12/01/[$LATEST]abcdef",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** Powertools metrics print their EMF document on stdout: kept in `into` instead. */
async function captured<T>(into: string[], call: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = ((chunk: unknown) => {
    into.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    return await call();
  } finally {
    process.stdout.write = write;
  }
}
