/**
 * A local stand-in for the Lambda service's Invoke API, on node:http at a free loopback port,
 * answering the request @aws-sdk/client-lambda sends (`POST
 * /2015-03-31/functions/{FunctionName}/invocations`, payload = the event) the way Lambda
 * does: 200 with the handler's result; 200 with `X-Amz-Function-Error: Unhandled` and
 * `{ errorType, errorMessage }` when the handler threw; 404 `ResourceNotFoundException` for a
 * function it does not have. Handlers are real Lambda handlers, called with a Lambda context.
 *
 *   const lambda = await startLambdaInvokeServer({ "my-fn": handler });
 *   new LambdaClient({ endpoint: lambda.url, region: "eu-west-1", credentials: TEST_CREDENTIALS });
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Context } from "aws-lambda";

export type LambdaHandlerUnderTest = (event: unknown, context: Context) => Promise<unknown>;

export const TEST_CREDENTIALS = {
  accessKeyId: "AKIDLOCALTEST",
  secretAccessKey: "local-test-secret",
};
export const TEST_REGION = "eu-west-1";

export interface InvokeRecord {
  functionName: string;
  invocationType: string | undefined;
  event: unknown;
  status: number;
  functionError: string | undefined;
}

export interface LambdaInvokeServer {
  url: string;
  /** Every Invoke request, in order. */
  readonly invocations: InvokeRecord[];
  close(): Promise<void>;
}

function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${TEST_REGION}:123456789012:function:${functionName}`,
    memoryLimitInMB: "512",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const ROUTE = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export async function startLambdaInvokeServer(
  functions: Record<string, LambdaHandlerUnderTest>,
  options: { timeoutMs?: number } = {},
): Promise<LambdaInvokeServer> {
  const invocations: InvokeRecord[] = [];
  const server: Server = createServer((request, response) => {
    void (async () => {
      const path = new URL(request.url ?? "/", "http://local").pathname;
      const match = ROUTE.exec(path);
      const text = await bodyOf(request);
      if (request.method !== "POST" || !match) {
        response.writeHead(404, {
          "content-type": "application/json",
          "x-amzn-errortype": "UnknownOperationException",
        });
        response.end(JSON.stringify({ message: `no such operation: ${request.method} ${path}` }));
        return;
      }
      const functionName = decodeURIComponent(match[1] ?? "");
      const invocationType = request.headers["x-amz-invocation-type"] as string | undefined;
      const record: InvokeRecord = {
        functionName,
        invocationType,
        event: undefined,
        status: 200,
        functionError: undefined,
      };
      invocations.push(record);
      const handler = functions[functionName];
      if (handler === undefined) {
        record.status = 404;
        response.writeHead(404, {
          "content-type": "application/json",
          "x-amzn-errortype": "ResourceNotFoundException",
          "x-amzn-requestid": randomUUID(),
        });
        response.end(
          JSON.stringify({
            Type: "User",
            message: `Function not found: arn:aws:lambda:${TEST_REGION}:123456789012:function:${functionName}`,
          }),
        );
        return;
      }
      record.event = JSON.parse(text);
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "x-amz-executed-version": "$LATEST",
        "x-amzn-requestid": randomUUID(),
      };
      try {
        const result = await handler(
          record.event,
          lambdaContext(functionName, options.timeoutMs ?? 30_000),
        );
        response.writeHead(200, headers);
        response.end(JSON.stringify(result ?? null));
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        record.functionError = "Unhandled";
        response.writeHead(200, { ...headers, "x-amz-function-error": "Unhandled" });
        response.end(
          JSON.stringify({
            errorType: e.name,
            errorMessage: e.message,
            trace: (e.stack ?? "").split("\n"),
          }),
        );
      }
    })().catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    invocations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
