/**
 * Billing's Azure Functions app (its main): order-invoicing behind the bridge's HTTP trigger,
 * invoice-sending on the Service Bus queue the router feeds (app setting MESH_SERVICEBUS).
 */
import { azureTrigger } from "../../functions/azure/trigger-app.ts";
import invoiceSending from "./invoice-sending.ts";
import orderInvoicing from "./order-invoicing.ts";

// Exported so the bundle can be tested without a Functions host.
export const orderInvoicingTrigger = await azureTrigger(orderInvoicing);
export const invoiceSendingTrigger = await azureTrigger(invoiceSending, {
  http: false,
  serviceBus: { queueName: "billing-invoices" },
});
