/**
 * A channel handler definition on Azure Functions (v4): translation only.
 *
 * - **Bridge mode**, `app.http` (`authLevel: "function"`: the host checks the function key
 *   the bridge sends): the bridge's invocation in, `{ batchItemFailures }` out.
 * - **Queued mode**, `app.serviceBusQueue` with `cardinality: "many"` on the queue the router
 *   feeds: the batch's messages and their metadata (`triggerMetadata.*Array`) become trigger
 *   records. The host completes the batch when the function returns and abandons it when it
 *   throws (redelivered, dead-lettered after the queue's MaxDeliveryCount): a failed message
 *   fails the batch, so handlers are idempotent (the guard skips messages done earlier).
 *
 * The handlers are exported so tests call them with a real HttpRequest and InvocationContext;
 * without a Functions host `app.*` registers nothing.
 */
import type {
  HttpHandler,
  HttpRequest,
  HttpResponseInit,
  InvocationContext,
} from "@azure/functions";
import type { IdempotencyGuard } from "../../../shared/trigger/index.ts";
import {
  type ChannelCatalog,
  type ChannelHandlerDefinition,
  type ChannelPublish,
  InvocationEventError,
  parseTriggerInvocation,
  QueuedBatchFailedError,
  type QueuedBatchOutcome,
  runChannelBatch,
  runQueuedBatch,
  type TriggerRecord,
  triggerContext,
} from "../../../shared/trigger/index.ts";

export interface AzureTriggerOptions {
  catalog: ChannelCatalog;
  publish: ChannelPublish;
  /** How long an invocation may run (host.json functionTimeout; default 5 min). */
  functionTimeoutMs?: number;
}

function remainingFrom(startedAt: number, timeoutMs: number): () => number {
  return () => timeoutMs - (Date.now() - startedAt);
}

function logTo(context: InvocationContext) {
  return (message: string, fields?: Record<string, unknown>) =>
    context.info(fields === undefined ? message : `${message} ${JSON.stringify(fields)}`);
}

export function createTriggerHttpHandler<T>(
  definition: ChannelHandlerDefinition<T>,
  options: AzureTriggerOptions,
): HttpHandler {
  return async (request: HttpRequest, invocation: InvocationContext): Promise<HttpResponseInit> => {
    let event: ReturnType<typeof parseTriggerInvocation>;
    try {
      event = parseTriggerInvocation(await request.json());
    } catch (error) {
      const detail = error instanceof InvocationEventError ? error.message : "the body is not JSON";
      return { status: 400, jsonBody: { error: detail } };
    }
    const context = triggerContext({
      platform: "azure-functions",
      mode: "bridge",
      publish: options.publish,
      remainingMs: remainingFrom(Date.now(), options.functionTimeoutMs ?? 300_000),
      log: logTo(invocation),
    });
    const response = await runChannelBatch(definition, event.channel, event.records, {
      catalog: options.catalog,
      context,
      onHandlerError: (error) => invocation.error("handler failed", error),
    });
    invocation.info(
      `batch channel=${definition.channel} size=${event.records.length} failed=${response.batchItemFailures.length}`,
    );
    return { status: 200, jsonBody: response };
  };
}

/** The Service Bus trigger's metadata the adapter reads (cardinality many: arrays). */
interface ServiceBusBatchMetadata {
  messageIdArray?: unknown[];
  deliveryCountArray?: unknown[];
  applicationPropertiesArray?: unknown[];
  userPropertiesArray?: unknown[];
  contentTypeArray?: unknown[];
  correlationIdArray?: unknown[];
  subjectArray?: unknown[];
  labelArray?: unknown[];
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function propertiesOf(value: unknown): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  if (typeof value !== "object" || value === null) return out;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean" || v === null)
      out[key] = v;
    else if (v instanceof Date) out[key] = v.toISOString();
    else out[key] = JSON.stringify(v);
  }
  return out;
}

/** The batch's messages as records; bodies as the worker hands them (JSON parsed, text or bytes). */
export function recordsOfServiceBusBatch(messages: unknown, metadata: unknown): TriggerRecord[] {
  const list = Array.isArray(messages) ? messages : [messages];
  const meta = (metadata ?? {}) as ServiceBusBatchMetadata & Record<string, unknown>;
  // cardinality "one": the same fields without "Array".
  const pick = (key: keyof ServiceBusBatchMetadata, i: number): unknown =>
    Array.isArray(messages) ? meta[key]?.[i] : meta[key.replace(/Array$/, "")];
  return list.map((body, i) => {
    const messageId = text(pick("messageIdArray", i));
    if (messageId === undefined)
      throw new InvocationEventError([
        `message ${i}: no messageId in the trigger metadata (is this a Service Bus trigger?)`,
      ]);
    const contentType = text(pick("contentTypeArray", i));
    const correlationId = text(pick("correlationIdArray", i));
    const subject = text(pick("subjectArray", i)) ?? text(pick("labelArray", i));
    const count = Number(pick("deliveryCountArray", i));
    let encoded: Pick<TriggerRecord, "body" | "bodyEncoding">;
    if (body instanceof Uint8Array)
      encoded = { body: Buffer.from(body).toString("base64"), bodyEncoding: "base64" };
    else if (typeof body === "string") encoded = { body, bodyEncoding: "utf8" };
    else encoded = { body: JSON.stringify(body), bodyEncoding: "utf8" };
    return {
      id: messageId,
      messageId,
      attempt: Number.isSafeInteger(count) && count >= 1 ? count : 1,
      ...encoded,
      ...(contentType
        ? { contentType }
        : typeof body === "object" && !(body instanceof Uint8Array)
          ? { contentType: "application/json" }
          : {}),
      ...(correlationId ? { correlationId } : {}),
      ...(subject ? { subject } : {}),
      properties: propertiesOf(
        pick("applicationPropertiesArray", i) ?? pick("userPropertiesArray", i),
      ),
    };
  });
}

export type ServiceBusBatchHandler = (
  messages: unknown,
  context: InvocationContext,
) => Promise<QueuedBatchOutcome>;

export function createServiceBusTriggerHandler<T>(
  definition: ChannelHandlerDefinition<T>,
  options: AzureTriggerOptions & { idempotency?: IdempotencyGuard | undefined },
): ServiceBusBatchHandler {
  return async (messages, invocation) => {
    const records = recordsOfServiceBusBatch(messages, invocation.triggerMetadata);
    const context = triggerContext({
      platform: "azure-functions",
      mode: "queued",
      publish: options.publish,
      remainingMs: remainingFrom(Date.now(), options.functionTimeoutMs ?? 300_000),
      log: logTo(invocation),
    });
    const outcome = await runQueuedBatch(definition, definition.channel, records, {
      catalog: options.catalog,
      context,
      onHandlerError: (error) => invocation.error("handler failed", error),
      idempotency: options.idempotency,
    });
    invocation.info(
      `queued batch channel=${definition.channel} size=${records.length} processed=${outcome.processed.length} ` +
        `skipped=${outcome.skipped.length} failed=${outcome.failures.length}`,
    );
    // Throwing abandons the batch: Service Bus redelivers it (MaxDeliveryCount, then the DLQ).
    if (outcome.failures.length > 0)
      throw new QueuedBatchFailedError(definition.channel, outcome.failures, records.length);
    return outcome;
  };
}
