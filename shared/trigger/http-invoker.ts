/**
 * A function reached over HTTP: an Azure Functions HTTP trigger (`authLevel: "function"`,
 * the function key in `x-functions-key`), or anything answering the same way. The key is
 * sent, never logged. Answers: 200 with the batch response; 500 (the host's answer when the
 * function threw) and a time-out are function errors; 401, 403 and 404 will not work until
 * the configuration changes (fatal); 429, 5xx and network errors are retried later.
 */
import { InvokeError } from "./errors.ts";
import type { FunctionInvoker, InvokeResult } from "./invoker.ts";
import type { TriggerInvocation } from "./records.ts";

export interface HttpInvokerOptions {
  url: string;
  /** The function key (Azure: the function's or the host's key). */
  functionKey?: string | undefined;
  keyHeader?: string;
  /** Longest wait for an answer (default 230 s, Azure's HTTP front-end limit). */
  timeoutMs?: number;
}

const FATAL_STATUS = new Set([401, 403, 404, 405]);

export function httpInvoker(options: HttpInvokerOptions): FunctionInvoker {
  const url = new URL(options.url);
  if (url.protocol !== "https:" && !["127.0.0.1", "localhost", "[::1]"].includes(url.hostname))
    throw new InvokeError(`function url ${url.origin}: use https (plain http only on loopback)`, {
      fatal: true,
    });
  const shown = `${url.origin}${url.pathname}`;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.functionKey !== undefined)
    headers[options.keyHeader ?? "x-functions-key"] = options.functionKey;
  const timeoutMs = options.timeoutMs ?? 230_000;
  return {
    description: `http:${shown}`,
    async invoke(invocation: TriggerInvocation): Promise<InvokeResult> {
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers,
          body: JSON.stringify(invocation),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        if ((error as Error).name === "TimeoutError")
          return {
            kind: "function-error",
            message: `no answer from ${shown} within ${timeoutMs} ms`,
          };
        throw new InvokeError(`cannot reach ${shown}: ${(error as Error).message}`, {
          fatal: false,
          cause: error,
        });
      }
      const text = await response.text().catch(() => "");
      if (response.status === 200) {
        try {
          return { kind: "answered", response: text === "" ? undefined : JSON.parse(text) };
        } catch {
          return {
            kind: "function-error",
            message: `${shown} answered 200 with a body that is not JSON`,
          };
        }
      }
      if (response.status === 500)
        return { kind: "function-error", message: `${shown} answered 500 (the function failed)` };
      const what = `${shown} answered ${response.status} ${response.statusText}`;
      if (FATAL_STATUS.has(response.status))
        throw new InvokeError(
          `${what}: ${response.status === 404 ? "no such function" : "the function key is missing or wrong"}`,
          { fatal: true, status: response.status },
        );
      throw new InvokeError(what, { fatal: false, status: response.status });
    },
  };
}
