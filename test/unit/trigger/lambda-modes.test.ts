/**
 * The two Lambda deployments of one definition: bridge mode (`lambdaTrigger`) takes only the
 * bridge's invocation and says what to deploy when an Amazon MQ event reaches it; queued mode
 * (`queuedLambdaTrigger`) takes the Amazon MQ event and the bridge's invocation.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { createTriggerLambdaHandler } from "../../../functions/aws/trigger/index.ts";
import { createQueuedTriggerLambdaHandler } from "../../../functions/aws/trigger/queued.ts";
import { runtimeValidators } from "../../../shared/registry-snapshot/index.ts";
import {
  channelCatalog,
  defineChannelHandler,
  INVOCATION_FORMAT,
  InvocationEventError,
} from "../../../shared/trigger/index.ts";
import { exampleSnapshot } from "./snapshot.ts";

const catalog = channelCatalog(exampleSnapshot(), runtimeValidators());
const invoice = { invoiceId: "inv-1", orderId: "ord-1", amount: 9.5 };

function setup() {
  const seen: string[] = [];
  const definition = defineChannelHandler<typeof invoice>({
    channel: "billing/invoices",
    name: "invoice-sending",
    handler: (batch) => {
      for (const m of batch) seen.push(m.payload.invoiceId);
    },
  });
  const options = {
    catalog,
    publish: () => Promise.reject(new Error("this test publishes nothing")),
    logger: new Logger({ serviceName: "modes-test", logLevel: "SILENT" }),
    metrics: new Metrics({ namespace: "amqp-mesh-test", serviceName: "modes" }),
  };
  return { seen, definition, options };
}

const deadline = Date.now() + 60_000;
const lambda = {
  functionName: "invoice-sending",
  awsRequestId: "r-1",
  invokedFunctionArn: "arn:aws:lambda:eu-west-1:1:function:invoice-sending",
  getRemainingTimeInMillis: () => deadline - Date.now(),
} as Context;

const amazonMqEvent = {
  eventSource: "aws:mq",
  eventSourceArn: "arn:aws:mq:eu-west-1:123456789012:broker:billing:b-1",
  messages: [
    {
      messageID: "ID:AMQP_NO_PREFIX:inv-1",
      messageType: "jms/bytes-message",
      redelivered: false,
      destination: { physicalName: "billing-invoices" },
      data: Buffer.from(JSON.stringify(invoice)).toString("base64"),
    },
  ],
};

const bridgeInvocation = {
  format: INVOCATION_FORMAT,
  channel: "billing/invoices",
  records: [
    {
      id: "0",
      messageId: "inv-2",
      attempt: 1,
      body: JSON.stringify({ ...invoice, invoiceId: "inv-2" }),
      bodyEncoding: "utf8",
      contentType: "application/json",
      properties: {},
    },
  ],
};

describe("Lambda trigger modes", () => {
  it("bridge mode refuses an Amazon MQ event, naming the queued entry, and runs nothing", async () => {
    const { seen, definition, options } = setup();
    const handler = createTriggerLambdaHandler(definition, options);
    const refused = handler(amazonMqEvent, lambda);
    await expect(refused).rejects.toThrow(InvocationEventError);
    await expect(refused).rejects.toThrow(
      /deployed for bridge mode: deploy it with queuedLambdaTrigger/,
    );
    expect(seen).toEqual([]);
    await expect(handler(bridgeInvocation, lambda)).resolves.toEqual({ batchItemFailures: [] });
    expect(seen).toEqual(["inv-2"]);
  });

  it("queued mode takes the Amazon MQ event and the bridge's invocation", async () => {
    const { seen, definition, options } = setup();
    const handler = createQueuedTriggerLambdaHandler(definition, {
      ...options,
      idempotency: undefined,
    });
    await expect(handler(amazonMqEvent, lambda)).resolves.toEqual({ processed: 1, skipped: 0 });
    await expect(handler(bridgeInvocation, lambda)).resolves.toEqual({ batchItemFailures: [] });
    expect(seen).toEqual(["inv-1", "inv-2"]);
    await expect(handler({ eventSource: "aws:sqs" }, lambda)).rejects.toThrow(
      /or an Amazon MQ event/,
    );
  });
});
