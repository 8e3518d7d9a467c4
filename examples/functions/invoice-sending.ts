/**
 * Billing's queued-mode example: `billing/invoices` is a broker channel (the router feeds
 * the queue `billing-invoices`), so the platform's queue trigger runs this — an Amazon MQ
 * event source mapping on Lambda, a Service Bus queue trigger on Azure. A failed invoice
 * fails the whole batch (neither takes a partial batch response): the adapters' idempotency
 * guard (Powertools idempotency, Redis) keeps the invoices already sent from being sent twice.
 */
import { defineChannelHandler } from "../../shared/trigger/index.ts";
import type { BillingInvoices } from "./channel-payloads.ts";

/** The payload of `billing/invoices`, generated from examples/registry/schemas/invoice.json. */
export type Invoice = BillingInvoices;

export default defineChannelHandler<"billing/invoices">({
  channel: "billing/invoices",
  name: "invoice-sending",
  async handler(invoices, context) {
    for (const invoice of invoices) {
      // Stand-in for the mail or print service billing would call.
      context.log("invoice sent", {
        invoiceId: invoice.payload.invoiceId,
        amount: invoice.payload.amount,
        attempt: invoice.attempt,
        traceparent: invoice.trace.traceparent,
      });
    }
    return { batchItemFailures: [] };
  },
});
