/**
 * order-invoicing on AWS Lambda, invoked by `amqp-mesh bridge` (bridge mode: no idempotency
 * guard bundled; handler `index.handler`).
 */
import { lambdaTrigger } from "../../../functions/aws/trigger/index.ts";
import orderInvoicing from "../order-invoicing.ts";

export const handler = await lambdaTrigger(orderInvoicing);
