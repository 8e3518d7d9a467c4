/**
 * A team's Azure registration for queued mode — a Service Bus queue trigger on the queue the
 * router feeds — in one line:
 *
 *   await azureQueuedTrigger(invoiceSending, { queueName: "billing-invoices" });
 *
 * Service Bus takes no partial batch response: a failed message abandons the batch and all of
 * it comes back. With IDEMPOTENCY_REDIS_URL each message id runs once across redeliveries
 * (Powertools idempotency over Redis, `functions/idempotency/`).
 */
import { app } from "@azure/functions";
import type { ChannelHandlerDefinition } from "../../../shared/trigger/index.ts";
import { idempotencyGuardFromEnv } from "../../idempotency/index.ts";
import { createServiceBusTriggerHandler, type ServiceBusBatchHandler } from "./handler.ts";
import { deployedAzureTriggerOptions } from "./index.ts";

export interface ServiceBusRegistration {
  queueName: string;
  /** The app setting holding the connection (default MESH_SERVICEBUS). */
  connection?: string;
}

/** Registers the queue trigger; returns its handler, for tests to call without a Functions host. */
export async function azureQueuedTrigger<T>(
  definition: ChannelHandlerDefinition<T>,
  registration: ServiceBusRegistration,
  bundleDir: URL = new URL(".", import.meta.url),
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ServiceBusBatchHandler> {
  const options = await deployedAzureTriggerOptions(definition, bundleDir, env);
  const idempotency = await idempotencyGuardFromEnv(env, definition.name, "Service Bus", (m) =>
    console.warn(m),
  );
  const handler = createServiceBusTriggerHandler(definition, { ...options, idempotency });
  app.serviceBusQueue(`${definition.name}-queue`, {
    connection: registration.connection ?? "MESH_SERVICEBUS",
    queueName: registration.queueName,
    cardinality: "many",
    handler: async (messages, context) => {
      await handler(messages, context);
    },
  });
  return handler;
}
