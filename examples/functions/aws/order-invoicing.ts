/** order-invoicing on AWS Lambda, invoked by `amqp-mesh bridge` (bundle entry; handler `index.handler`). */
import { lambdaTrigger } from "../../../functions/aws/trigger/index.ts";
import orderInvoicing from "../order-invoicing.ts";

export const handler = await lambdaTrigger(orderInvoicing);
