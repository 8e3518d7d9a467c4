/**
 * A team's Azure registration in one line, from its definition:
 *
 *   await azureTrigger(orderInvoicing, { serviceBus: { queueName: "billing-invoices" } });
 *
 * Registers the bridge's HTTP trigger (route `triggers/<name>`, function key required) and,
 * with `serviceBus`, the queue trigger. Built once per worker process: settings from the app
 * settings, the registry snapshot and validators `npm run bundle` put beside the bundle, the
 * shared AMQP client (connects on the first publish), the Redis idempotency store with
 * IDEMPOTENCY_REDIS_URL.
 */

import type { HttpHandler } from "@azure/functions";
import { app } from "@azure/functions";
import { loadDeploymentArtifacts } from "../../shared/registry-snapshot/index.ts";
import { assembleTrigger, type ChannelHandlerDefinition } from "../../shared/trigger/index.ts";
import { connectRedisIdempotencyGuard } from "../trigger-idempotency.ts";
import {
  createServiceBusTriggerHandler,
  createTriggerHttpHandler,
  type ServiceBusBatchHandler,
} from "./trigger.ts";

/** The handlers registered, for tests to call without a Functions host. */
export interface RegisteredTrigger {
  http: HttpHandler | undefined;
  serviceBus: ServiceBusBatchHandler | undefined;
}

export interface AzureTriggerRegistration {
  /** The bridge's HTTP trigger (default on). */
  http?: boolean;
  /** The queue the router feeds (queued mode); `connection` names the app setting (default MESH_SERVICEBUS). */
  serviceBus?: { queueName: string; connection?: string };
}

export async function azureTrigger<T>(
  definition: ChannelHandlerDefinition<T>,
  registration: AzureTriggerRegistration = {},
  bundleDir: URL = new URL(".", import.meta.url),
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<RegisteredTrigger> {
  const { snapshot, validators } = await loadDeploymentArtifacts(bundleDir);
  const { catalog, publish } = assembleTrigger(definition, snapshot, validators, env, (line) =>
    console.log(line),
  );
  const timeout = Number(env.TRIGGER_FUNCTION_TIMEOUT_MS);
  const options = {
    catalog,
    publish,
    ...(Number.isSafeInteger(timeout) && timeout > 0 ? { functionTimeoutMs: timeout } : {}),
  };
  const registered: RegisteredTrigger = { http: undefined, serviceBus: undefined };
  if (registration.http !== false) {
    registered.http = createTriggerHttpHandler(definition, options);
    app.http(definition.name, {
      methods: ["POST"],
      authLevel: "function",
      route: `triggers/${definition.name}`,
      handler: registered.http,
    });
  }
  if (registration.serviceBus !== undefined) {
    const redisUrl = env.IDEMPOTENCY_REDIS_URL;
    const idempotency =
      redisUrl === undefined || redisUrl === ""
        ? undefined
        : (await connectRedisIdempotencyGuard(redisUrl, { keyPrefix: definition.name })).guard;
    if (idempotency === undefined)
      console.warn(
        "IDEMPOTENCY_REDIS_URL is not set: Service Bus redeliveries run every message of a failed batch again",
      );
    const handler = createServiceBusTriggerHandler(definition, { ...options, idempotency });
    registered.serviceBus = handler;
    app.serviceBusQueue(`${definition.name}-queue`, {
      connection: registration.serviceBus.connection ?? "MESH_SERVICEBUS",
      queueName: registration.serviceBus.queueName,
      cardinality: "many",
      handler: async (messages, context) => {
        await handler(messages, context);
      },
    });
  }
  return registered;
}
