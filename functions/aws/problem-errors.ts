/**
 * A middy error middleware answering with RFC 9457 problem+json (middy's http-error-handler
 * writes text/plain). Any error a middleware or the handler throws becomes a problem; only
 * errors marked `expose` (middy's http errors, 4xx) show their message, the rest say nothing
 * about internals and are logged.
 */
import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { PROBLEM_JSON, problemType } from "../../shared/ingress/index.ts";

export interface ProblemErrorsOptions {
  logError: (message: string, error: unknown) => void;
}

export function problemJsonErrors(
  options: ProblemErrorsOptions,
): MiddlewareObj<unknown, APIGatewayProxyStructuredResultV2> {
  return {
    onError: (request) => {
      const error = request.error as
        | (Error & { statusCode?: unknown; expose?: unknown })
        | null
        | undefined;
      const declared = typeof error?.statusCode === "number" ? error.statusCode : undefined;
      // middy's early timeout: the function is about to be stopped.
      const timedOut = error?.name === "TimeoutError";
      const status =
        declared !== undefined && declared >= 400 && declared <= 599
          ? declared
          : timedOut
            ? 503
            : 500;
      const exposed = status < 500 && error?.expose !== false;
      if (!exposed) options.logError("request failed", error);
      const kind =
        status === 503 ? "deadline-exceeded" : status < 500 ? "malformed-request" : "internal";
      const body = {
        type: problemType(kind),
        title: status < 500 ? "Bad request" : timedOut ? "No time left" : "Internal error",
        status,
        detail: exposed && error?.message ? error.message : "the message was not published",
      };
      request.response = {
        statusCode: status,
        headers: {
          "content-type": PROBLEM_JSON,
          ...(status === 503 ? { "retry-after": "1" } : {}),
        },
        body: JSON.stringify(body),
      };
    },
  };
}
