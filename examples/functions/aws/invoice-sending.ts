/** invoice-sending on AWS Lambda, behind an Amazon MQ event source mapping (handler `index.handler`). */
import { lambdaTrigger } from "../../../functions/aws/trigger/index.ts";
import invoiceSending from "../invoice-sending.ts";

export const handler = await lambdaTrigger(invoiceSending);
