/**
 * The Azure Functions app (v4 programming model; `main` of the bundle's package.json). Built
 * once per worker process and reused by every invocation; reads the registry snapshot and
 * validators `npm run bundle` put beside it. Without a Functions host (tests), app.http
 * registers nothing: tests call the exported handler with a real HttpRequest and
 * InvocationContext.
 */
import { app } from "@azure/functions";
import { assembleIngress, ingressSettingsFromEnv } from "../../shared/ingress/index.ts";
import { loadDeploymentArtifacts } from "../../shared/registry-snapshot/index.ts";
import { createIngressHttpHandler } from "./ingress.ts";

const settings = ingressSettingsFromEnv(process.env);
const { snapshot, validators } = await loadDeploymentArtifacts(new URL(".", import.meta.url));
const { ingress, client } = assembleIngress(settings, snapshot, validators, (line) =>
  console.log(line),
);
client
  .connect()
  .catch((error: unknown) => console.warn(`edge routers not reachable at start: ${String(error)}`));

const timeout = Number(process.env.INGRESS_FUNCTION_TIMEOUT_MS);
export const ingressHandler = createIngressHttpHandler(ingress, {
  trustAppServiceAuth: process.env.WEBSITE_AUTH_ENABLED?.toLowerCase() === "true",
  ...(Number.isSafeInteger(timeout) && timeout > 0 ? { functionTimeoutMs: timeout } : {}),
});

app.http("ingress", {
  methods: ["POST"],
  authLevel: "anonymous",
  route: "channels/{channel}/messages",
  handler: ingressHandler,
});
