/**
 * The ingress as an Azure Functions v4 HTTP handler: translation only, HttpRequest →
 * IngressRequest, IngressResponse → HttpResponseInit. A function key in `x-functions-key`
 * counts as an API key (never `?code=`: URLs end up in access logs); the App Service
 * authentication principal is handed over, with its identity provider, only when that
 * authentication is on (then App Service strips such headers from clients).
 */
import type {
  HttpHandler,
  HttpRequest,
  HttpResponseInit,
  InvocationContext,
} from "@azure/functions";
import {
  bodyFromWebStream,
  type Ingress,
  type IngressRequest,
  type IngressResponse,
} from "../../../shared/ingress/index.ts";

export interface AzureIngressOptions {
  /** True when App Service authentication fronts the app (WEBSITE_AUTH_ENABLED=True). */
  trustAppServiceAuth: boolean;
  /** How long the invocation may run (the HTTP front end cuts requests at 230 s). */
  functionTimeoutMs?: number;
}

export function toIngressRequest(
  request: HttpRequest,
  options: AzureIngressOptions,
): IngressRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of request.headers) headers[name.toLowerCase()] = value;
  const functionKey = headers["x-functions-key"];
  if (headers["x-api-key"] === undefined && functionKey !== undefined)
    headers["x-api-key"] = functionKey;
  const user = options.trustAppServiceAuth ? request.user : null;
  const principal = user?.username || undefined;
  return {
    method: request.method,
    path: new URL(request.url).pathname,
    headers,
    body: bodyFromWebStream(
      request.body as ReadableStream<Uint8Array> | null,
      headers["content-length"],
    ),
    platformPrincipal: principal,
    // The core checks it against the allowed providers (an empty one is allowed by none).
    ...(principal === undefined ? {} : { platformIdentityProvider: user?.identityProvider ?? "" }),
    remainingMs: options.functionTimeoutMs ?? 230_000,
  };
}

function record(context: InvocationContext, response: IngressResponse): void {
  const { outcome, status } = response;
  const line =
    `ingress ${status}` +
    (outcome.principal ? ` principal=${outcome.principal}` : "") +
    (outcome.channel ? ` channel=${outcome.channel}` : "") +
    ` published=${outcome.published}` +
    (outcome.problem ? ` problem=${outcome.problem}` : "");
  if (outcome.error !== undefined) context.error(line, outcome.error);
  else context.info(line);
}

export function createIngressHttpHandler(
  ingress: Ingress,
  options: AzureIngressOptions,
): HttpHandler {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const response = await ingress.handle(toIngressRequest(request, options));
    record(context, response);
    return { status: response.status, headers: response.headers, body: response.body };
  };
}
