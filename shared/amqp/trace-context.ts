/**
 * W3C trace context (traceparent / tracestate) in AMQP application properties, and the
 * publish/receive spans. The format is OpenTelemetry's own propagator (@opentelemetry/core),
 * used directly, so the client carries trace context even when no OpenTelemetry SDK
 * registered a global propagator.
 */
import {
  type Context,
  context,
  isSpanContextValid,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from "@opentelemetry/api";
import { parseTraceParent, W3CTraceContextPropagator } from "@opentelemetry/core";
import { describeThrown } from "./errors.ts";

const TRACEPARENT = "traceparent";
const TRACESTATE = "tracestate";

/** Parses a traceparent header; undefined when malformed or all-zero (invalid per spec). */
export function parseTraceparent(value: string): SpanContext | undefined {
  const spanContext = parseTraceParent(value);
  return spanContext === null ? undefined : { ...spanContext, isRemote: true };
}

export function formatTraceparent(spanContext: SpanContext): string {
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, "0");
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/** A TextMapPropagator for W3C trace context (OpenTelemetry's), under the client's name. */
export class W3CTraceContext extends W3CTraceContextPropagator {}

const propagator = new W3CTraceContext();

const propertiesSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const propertiesGetter: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    return typeof value === "string" ? value : undefined;
  },
};

/** traceparent/tracestate of the span active in `ctx`, ready for application properties. */
export function injectTraceContext(ctx: Context): Record<string, string> | undefined {
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, propertiesSetter);
  // The propagator writes an empty tracestate for an empty state; the header is optional.
  if (carrier[TRACESTATE] === "") delete carrier[TRACESTATE];
  return carrier[TRACEPARENT] === undefined ? undefined : carrier;
}

/** The context a received message continues: `base` plus the remote span context, if any. */
export function extractTraceContext(properties: Record<string, unknown>, base: Context): Context {
  return propagator.extract(base, properties, propertiesGetter);
}

/** A proxy tracer: it follows whatever provider the application registers later. */
const tracer = trace.getTracer("amqp-mesh/shared/amqp");

/** `publish <address>` producer span, child of the active context (no-op without an SDK). */
export function startPublishSpan(
  address: string,
  parent: Context = context.active(),
): { span: Span; ctx: Context } {
  const span = publishSpan(address, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}

function publishSpan(address: string, parent: Context): Span {
  return tracer.startSpan(
    `publish ${address}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: { "messaging.system": "amqp", "messaging.destination.name": address },
    },
    parent,
  );
}

/**
 * The publish span and the trace properties the message carries for it. Without a valid
 * span context (no tracer SDK and no incoming trace: the noop tracer's span) there is
 * nothing to propagate, so the context and the carrier are not built (the hot path).
 */
export function startPublishTrace(
  address: string,
  parent: Context = context.active(),
): { span: Span; traceProperties: Record<string, string> | undefined } {
  const span = publishSpan(address, parent);
  if (!isSpanContextValid(span.spanContext())) return { span, traceProperties: undefined };
  return { span, traceProperties: injectTraceContext(trace.setSpan(parent, span)) };
}

/** `receive <address>` consumer span, child of the producer's remote span context. */
export function startReceiveSpan(address: string, parent: Context): { span: Span; ctx: Context } {
  const span = tracer.startSpan(
    `receive ${address}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: { "messaging.system": "amqp", "messaging.source.name": address },
    },
    parent,
  );
  return { span, ctx: trace.setSpan(parent, span) };
}

export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined)
    span.setStatus({ code: SpanStatusCode.ERROR, message: describeThrown(error) });
  span.end();
}
