/**
 * A team's Azure registration in one line, from its definition — bridge mode:
 *
 *   await azureTrigger(orderInvoicing);
 *
 * Registers the bridge's HTTP trigger (route `triggers/<name>`, function key required).
 * Queued mode (a Service Bus queue the router feeds) is `azureQueuedTrigger` in
 * `queued.ts`, which adds the idempotency guard: an app of bridge-mode triggers
 * carries none of it. Built once per worker process: settings from the app settings, the
 * registry snapshot and validators `npm run bundle` put beside the bundle, the shared AMQP
 * publisher (connects on the first publish).
 */

import type { HttpHandler } from "@azure/functions";
import { app } from "@azure/functions";
import {
  deployedRegistryView,
  loadDeploymentArtifacts,
  type RegistryView,
} from "../../../shared/registry-snapshot/index.ts";
import { assembleTrigger, type ChannelHandlerDefinition } from "../../../shared/trigger/index.ts";
import { azureSnapshotStore } from "../live-registry.ts";
import { type AzureTriggerOptions, createTriggerHttpHandler } from "./handler.ts";

type Env = Readonly<Record<string, string | undefined>>;

const views = new Map<string, RegistryView>();

/** What both modes build once per worker: catalog, publisher, the invocation's time limit. */
export async function deployedAzureTriggerOptions(
  definition: Pick<ChannelHandlerDefinition<unknown>, "channel">,
  bundleDir: URL,
  env: Env,
): Promise<AzureTriggerOptions> {
  const { snapshot, validators } = await loadDeploymentArtifacts(bundleDir);
  // With REGISTRY_BLOB_CONTAINER, the registry config-sync publishes, live; the bundled one
  // otherwise. One reader per app, however many triggers it registers.
  const key = JSON.stringify([
    bundleDir.href,
    env.REGISTRY_BLOB_CONTAINER,
    env.REGISTRY_BLOB_CONNECTION_STRING,
    env.REGISTRY_SNAPSHOT_KEY,
    env.REGISTRY_POLL_MS,
  ]);
  let view = views.get(key);
  if (view === undefined) {
    view = deployedRegistryView({
      bundled: { snapshot, validators },
      openStore: azureSnapshotStore(env),
      env,
      log: (line) => console.warn(line),
    }).view;
    views.set(key, view);
  }
  const { catalog, publish } = assembleTrigger(
    definition,
    snapshot,
    validators,
    env,
    (line) => console.log(line),
    view,
  );
  const timeout = Number(env.TRIGGER_FUNCTION_TIMEOUT_MS);
  return {
    catalog,
    publish,
    ...(Number.isSafeInteger(timeout) && timeout > 0 ? { functionTimeoutMs: timeout } : {}),
  };
}

/** Bridge mode: the bridge's HTTP trigger; returns its handler, for tests to call without a Functions host. */
export async function azureTrigger<T>(
  definition: ChannelHandlerDefinition<T>,
  bundleDir: URL = new URL(".", import.meta.url),
  env: Env = process.env,
): Promise<HttpHandler> {
  const handler = createTriggerHttpHandler(
    definition,
    await deployedAzureTriggerOptions(definition, bundleDir, env),
  );
  app.http(definition.name, {
    methods: ["POST"],
    authLevel: "function",
    route: `triggers/${definition.name}`,
    handler,
  });
  return handler;
}
