/**
 * Billing's example trigger: for every order on `sales/orders`, publish its invoice to
 * `billing/invoices`. Written once; `aws/order-invoicing.ts` and `azure.ts` deploy it to either cloud, and
 * `amqp-mesh bridge … --handler examples/functions/order-invoicing.ts` runs it locally.
 *
 * Idempotent by construction: the invoice's message id is derived from the order's (publish
 * with `causedBy`), so a retried or redelivered order publishes the same invoice id again and
 * billing's consumers drop the duplicate.
 */
import { type BatchItemFailure, defineChannelHandler } from "../../shared/trigger/index.ts";
// The payload types of every channel (`amqp-mesh types examples --out <this file>`): the
// payloads of sales/orders and billing/invoices below are checked against their schemas.
import type { SalesOrders } from "./channel-payloads.ts";

/** The payload of `sales/orders`, as its schema (examples/registry/sales.yaml) describes it. */
export type Order = SalesOrders;

/** A stand-in price list (billing's real one lives elsewhere). */
const UNIT_PRICE = 9.5;

export default defineChannelHandler<"sales/orders">({
  channel: "sales/orders",
  name: "order-invoicing",
  async handler(orders, context) {
    const batchItemFailures: BatchItemFailure[] = [];
    await Promise.all(
      orders.map(async (order) => {
        const { orderId, lines, currency } = order.payload;
        const amount = lines.reduce((sum, line) => sum + line.quantity * UNIT_PRICE, 0);
        try {
          await context.publish(
            "billing/invoices",
            { invoiceId: `inv-${orderId}`, orderId, amount, currency: currency ?? "EUR" },
            { causedBy: order, subject: "invoice" },
          );
        } catch (error) {
          context.log("invoice not published", { orderId, error: String(error) });
          batchItemFailures.push({ itemIdentifier: order.id });
        }
      }),
    );
    return { batchItemFailures };
  },
});
