/**
 * invoice-sending on AWS Lambda, behind an Amazon MQ event source mapping (queued mode:
 * idempotent over IDEMPOTENCY_REDIS_URL; handler `index.handler`).
 */
import { queuedLambdaTrigger } from "../../../functions/aws/trigger/queued.ts";
import invoiceSending from "../invoice-sending.ts";

export const handler = await queuedLambdaTrigger(invoiceSending);
