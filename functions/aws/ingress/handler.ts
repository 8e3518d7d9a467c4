/**
 * The ingress on AWS Lambda behind an API Gateway HTTP API (payload v2): middy composes
 * middy's header/event normalizers, Powertools logger and metrics and a problem+json error
 * middleware around one call of the core. Translation only: event → IngressRequest,
 * IngressResponse → result.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import httpEventNormalizer from "@middy/http-event-normalizer";
import httpHeaderNormalizer from "@middy/http-header-normalizer";
import type {
  APIGatewayEventRequestContextV2,
  APIGatewayProxyEventV2WithRequestContext,
  APIGatewayProxyStructuredResultV2,
  Context,
} from "aws-lambda";
import {
  bodyFromText,
  type Ingress,
  type IngressRequest,
  type IngressResponse,
} from "../../../shared/ingress/index.ts";
import { problemJsonErrors } from "../problem-errors.ts";

/** An HTTP API v2 event, with whatever authorizer the route has (JWT, Lambda, none). */
export type HttpApiEvent = APIGatewayProxyEventV2WithRequestContext<
  APIGatewayEventRequestContextV2 & {
    authorizer?: {
      jwt?: { claims?: Record<string, unknown>; scopes?: string[] | null };
      lambda?: Record<string, unknown> | null;
    };
  }
>;

export interface IngressHandlerOptions {
  logger: Logger;
  metrics: Metrics;
  /** The JWT authorizer claim (or Lambda authorizer context key) naming the principal. */
  authorizerClaim?: string;
}

/** The principal API Gateway's authorizer established, if the route has one. */
export function authorizerPrincipal(event: HttpApiEvent, claim = "sub"): string | undefined {
  const authorizer = event.requestContext.authorizer;
  const value =
    authorizer?.jwt?.claims?.[claim] ?? authorizer?.lambda?.[claim === "sub" ? "principal" : claim];
  return typeof value === "string" && value !== "" ? value : undefined;
}

export function toIngressRequest(
  event: HttpApiEvent,
  context: Context,
  claim?: string,
): IngressRequest {
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    headers: event.headers,
    body: bodyFromText(event.body, event.isBase64Encoded),
    platformPrincipal: authorizerPrincipal(event, claim),
    remainingMs: context.getRemainingTimeInMillis(),
  };
}

function record(options: IngressHandlerOptions, response: IngressResponse): void {
  const { logger, metrics } = options;
  const { outcome, status } = response;
  metrics.addMetric(
    status < 300 ? "Accepted" : status < 500 ? "Refused" : "Failed",
    MetricUnit.Count,
    1,
  );
  metrics.addMetric("MessagesPublished", MetricUnit.Count, outcome.published);
  const fields = {
    status,
    channel: outcome.channel,
    principal: outcome.principal,
    published: outcome.published,
    problem: outcome.problem,
  };
  if (outcome.error !== undefined)
    logger.error("ingress request failed", { ...fields, error: outcome.error as Error });
  else logger.info("ingress request", fields);
}

/** The deployed handler's signature (what Lambda calls). */
export type IngressLambdaHandler = (
  event: HttpApiEvent,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export function createIngressHandler(
  ingress: Ingress,
  options: IngressHandlerOptions,
): IngressLambdaHandler {
  const handler = middy<HttpApiEvent, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(options.logger))
    .use(logMetrics(options.metrics))
    .use(httpHeaderNormalizer())
    .use(httpEventNormalizer())
    .use(
      problemJsonErrors({
        logError: (message, error) => options.logger.error(message, { error: error as Error }),
      }),
    )
    .handler(async (event, context) => {
      const response = await ingress.handle(
        toIngressRequest(event, context, options.authorizerClaim),
      );
      record(options, response);
      return { statusCode: response.status, headers: response.headers, body: response.body };
    });
  // middy's type for the composed handler intersects the normalizers' event types.
  return handler as unknown as IngressLambdaHandler;
}
