/**
 * The bridge's way to a Lambda function: Invoke (RequestResponse) through
 * @aws-sdk/client-lambda, with the default credential chain. The function's answer is its
 * batch response; a function error (`FunctionError`: it threw, timed out, ran out of memory)
 * fails the whole batch; throttling and service errors are retried later; a function that
 * does not exist or may not be invoked stops the bridge.
 */
import {
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
  type LambdaClientConfig,
} from "@aws-sdk/client-lambda";
import {
  type FunctionInvoker,
  InvokeError,
  type InvokeResult,
  type TriggerInvocation,
} from "../../../shared/trigger/index.ts";

export interface LambdaInvokerOptions {
  functionName: string;
  /** A version or alias. */
  qualifier?: string | undefined;
  region?: string | undefined;
  /** Another Invoke endpoint (tests, LocalStack); the SDK's default otherwise. */
  endpoint?: string | undefined;
  credentials?: LambdaClientConfig["credentials"];
  maxAttempts?: number;
}

/** Errors after which invoking again cannot work until someone changes something. */
const FATAL_ERRORS = new Set([
  "ResourceNotFoundException",
  "AccessDeniedException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "InvalidParameterValueException",
  "RequestTooLargeException",
  "InvalidRequestContentException",
]);

const decoder = new TextDecoder();

export function lambdaInvoker(options: LambdaInvokerOptions): FunctionInvoker {
  const client = new LambdaClient({
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    // The bridge does its own retries (the messages wait, unsettled); one SDK retry is enough.
    maxAttempts: options.maxAttempts ?? 2,
  });
  const name = options.qualifier
    ? `${options.functionName}:${options.qualifier}`
    : options.functionName;
  return {
    description: `lambda:${name}`,
    async invoke(invocation: TriggerInvocation): Promise<InvokeResult> {
      let output: InvokeCommandOutput;
      try {
        output = await client.send(
          new InvokeCommand({
            FunctionName: options.functionName,
            ...(options.qualifier === undefined ? {} : { Qualifier: options.qualifier }),
            InvocationType: "RequestResponse",
            Payload: new TextEncoder().encode(JSON.stringify(invocation)),
          }),
        );
      } catch (error) {
        const e = error as Error & { $metadata?: { httpStatusCode?: number } };
        const status = e.$metadata?.httpStatusCode;
        const fatal = FATAL_ERRORS.has(e.name);
        const hint =
          e.name === "ResourceNotFoundException"
            ? " (check the function name, its region and the qualifier)"
            : e.name === "RequestTooLargeException"
              ? " (lower --batch-size: Invoke takes at most 6 MB)"
              : fatal
                ? " (check the bridge's credentials: it needs lambda:InvokeFunction)"
                : "";
        throw new InvokeError(`Lambda Invoke of ${name}: ${e.name}: ${e.message}${hint}`, {
          fatal,
          ...(status === undefined ? {} : { status }),
          cause: error,
        });
      }
      const text = output.Payload === undefined ? "" : decoder.decode(output.Payload);
      if (output.FunctionError !== undefined) {
        let message = output.FunctionError;
        try {
          const body = JSON.parse(text) as { errorType?: string; errorMessage?: string };
          message = `${body.errorType ?? output.FunctionError}: ${body.errorMessage ?? ""}`;
        } catch {}
        return { kind: "function-error", message };
      }
      try {
        return { kind: "answered", response: text === "" ? undefined : JSON.parse(text) };
      } catch {
        return {
          kind: "function-error",
          message: `${name} answered with a payload that is not JSON`,
        };
      }
    },
    async close() {
      client.destroy();
    },
  };
}
