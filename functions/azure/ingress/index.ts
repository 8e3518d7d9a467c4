/**
 * The Azure Functions app (v4 programming model; `main` of the bundle's package.json). Built
 * once per worker process and reused by every invocation; reads the registry snapshot and
 * validators `npm run bundle` put beside it, and with REGISTRY_BLOB_CONTAINER the snapshot
 * config-sync publishes, live (shared/registry-snapshot, "Live registry"). Without a Functions host (tests), app.http
 * registers nothing: tests call the exported handler with a real HttpRequest and
 * InvocationContext.
 */
import { app } from "@azure/functions";
import { assembleIngress, ingressSettingsFromEnv } from "../../../shared/ingress/index.ts";
import {
  deployedRegistryView,
  loadDeploymentArtifacts,
} from "../../../shared/registry-snapshot/index.ts";
import { azureSnapshotStore } from "../live-registry.ts";
import { createIngressHttpHandler } from "./handler.ts";

const settings = ingressSettingsFromEnv(process.env);
const { snapshot, validators } = await loadDeploymentArtifacts(new URL(".", import.meta.url));
const { view, live } = deployedRegistryView({
  bundled: { snapshot, validators },
  openStore: azureSnapshotStore(process.env),
  env: process.env,
  log: (line) => console.warn(line),
});
const { ingress, client } = assembleIngress(
  settings,
  snapshot,
  validators,
  (line) => console.log(line),
  view,
);
/** The registry this worker enforces (tests read its digest and refresh it). */
export const registry = live;
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
