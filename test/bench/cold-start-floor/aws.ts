/**
 * The floor of the AWS ingress's cold start: only the packages its bundle loads at start,
 * each used as the function uses it at init (a logger, metrics, a middy handler with its
 * middlewares, a zod/mini schema parsed, a rhea container, the trace API, node:crypto) —
 * none of amqp-mesh's own code. Built like a function (`buildAsFunction`) by
 * `function-bundles.bench.ts`, which times its import against the real bundle's.
 */
import "./common.ts";
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import httpEventNormalizer from "@middy/http-event-normalizer";
import httpHeaderNormalizer from "@middy/http-header-normalizer";

const logger = new Logger({ serviceName: "floor" });
const metrics = new Metrics({ namespace: "floor", serviceName: "floor" });
export const handler = middy(async () => ({ statusCode: 202 }))
  .use(httpHeaderNormalizer())
  .use(httpEventNormalizer())
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
