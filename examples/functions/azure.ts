/**
 * Billing's Azure Functions app (its main): order-invoicing behind the bridge's HTTP trigger
 * (bridge mode), invoice-sending on the Service Bus queue the router feeds (queued mode, app
 * setting MESH_SERVICEBUS; its idempotency store IDEMPOTENCY_REDIS_URL).
 */
import { azureTrigger } from "../../functions/azure/trigger/index.ts";
import { azureQueuedTrigger } from "../../functions/azure/trigger/queued.ts";
import invoiceSending from "./invoice-sending.ts";
import orderInvoicing from "./order-invoicing.ts";

// Exported so the bundle can be tested without a Functions host.
export const orderInvoicingHttp = await azureTrigger(orderInvoicing);
export const invoiceSendingQueue = await azureQueuedTrigger(invoiceSending, {
  queueName: "billing-invoices",
});
