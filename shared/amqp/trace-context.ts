/**
 * W3C trace context (traceparent / tracestate) in AMQP application properties, and the
 * publish/receive spans. Written by hand (the format is tiny) so the client carries trace
 * context even when no OpenTelemetry SDK registered a global propagator.
 */
import {
  type Context,
  context,
  createTraceState,
  isSpanContextValid,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from "@opentelemetry/api";

const TRACEPARENT = "traceparent";
const TRACESTATE = "tracestate";

const TRACEPARENT_PATTERN = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Parses a traceparent header; undefined when malformed or all-zero (invalid per spec). */
export function parseTraceparent(value: string): SpanContext | undefined {
  const match = TRACEPARENT_PATTERN.exec(value.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === "ff") return undefined;
  // Version 00 has exactly four fields; later versions may append more.
  if (version === "00" && rest !== undefined) return undefined;
  const spanContext: SpanContext = {
    traceId: traceId ?? "",
    spanId: spanId ?? "",
    traceFlags: Number.parseInt(flags ?? "00", 16) & 0xff,
    isRemote: true,
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

export function formatTraceparent(spanContext: SpanContext): string {
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, "0");
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/** A TextMapPropagator for W3C trace context, usable with the OpenTelemetry API. */
export class W3CTraceContext implements TextMapPropagator {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(ctx);
    if (!spanContext || !isSpanContextValid(spanContext)) return;
    setter.set(carrier, TRACEPARENT, formatTraceparent(spanContext));
    const state = spanContext.traceState?.serialize();
    if (state) setter.set(carrier, TRACESTATE, state);
  }

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = first(getter.get(carrier, TRACEPARENT));
    if (header === undefined) return ctx;
    const spanContext = parseTraceparent(header);
    if (!spanContext) return ctx;
    const state = first(getter.get(carrier, TRACESTATE));
    if (state !== undefined) spanContext.traceState = createTraceState(state);
    return trace.setSpanContext(ctx, spanContext);
  }

  fields(): string[] {
    return [TRACEPARENT, TRACESTATE];
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

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
  const span = tracer.startSpan(
    `publish ${address}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: { "messaging.system": "amqp", "messaging.destination.name": address },
    },
    parent,
  );
  return { span, ctx: trace.setSpan(parent, span) };
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
  if (error !== undefined) {
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
  }
  span.end();
}
