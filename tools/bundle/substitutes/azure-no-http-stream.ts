/**
 * Stands in for `@azure/functions`' HTTP streaming proxy (`src/http/httpProxy.ts`) in function
 * bundles (tools/bundle/bundle.ts): the library reaches it only after
 * `app.setup({ enableHttpStream: true })`, which no function here calls, and it brings a
 * local HTTP server and the `cookie` package (4.9 KB). Reached anyway, it says why it is missing.
 */
function notBundled(): never {
  throw new Error(
    "function bundle: @azure/functions' HTTP streaming (app.setup({ enableHttpStream: true })) " +
      "is not bundled (tools/bundle/substitutes/azure-no-http-stream.ts)",
  );
}

export const setupHttpProxy = async (): Promise<string> => notBundled();
export const waitForProxyRequest = async (_invocationId: string): Promise<never> => notBundled();
export const sendProxyResponse = async (_invocationId: string, _response: unknown): Promise<void> =>
  notBundled();
export const isAllowedProxyResponseHeader = (_name: string, _connection?: string | null): boolean =>
  notBundled();
