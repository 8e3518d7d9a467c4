import { createTraceState, ROOT_CONTEXT, TraceFlags, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import {
  extractTraceContext,
  formatTraceparent,
  injectTraceContext,
  parseTraceparent,
} from "../../../shared/amqp/index.ts";

const VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("W3C traceparent", () => {
  it("parses and formats symmetrically", () => {
    const ctx = parseTraceparent(VALID);
    expect(ctx).toMatchObject({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    expect(formatTraceparent(ctx!)).toBe(VALID);
  });

  it.each([
    ["all-zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"],
    ["all-zero span id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"],
    ["version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
    ["upper case", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01"],
    ["extra field in version 00", `${VALID}-extra`],
    ["short", "00-4bf92f-00f067aa0ba902b7-01"],
    ["garbage", "hello"],
  ])("rejects %s", (_name, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it("accepts extra fields from a future version", () => {
    expect(
      parseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what"),
    ).toBeDefined();
  });

  it("injects from a context and extracts into one, with tracestate", () => {
    const spanContext = parseTraceparent(VALID)!;
    const withState = extractTraceContext(
      { traceparent: VALID, tracestate: "vendor=abc,other=1" },
      ROOT_CONTEXT,
    );
    expect(trace.getSpanContext(withState)?.traceState?.get("vendor")).toBe("abc");
    expect(injectTraceContext(withState)).toEqual({
      traceparent: VALID,
      tracestate: "vendor=abc,other=1",
    });
    expect(injectTraceContext(trace.setSpanContext(ROOT_CONTEXT, spanContext))).toEqual({
      traceparent: VALID,
    });
    expect(injectTraceContext(ROOT_CONTEXT)).toBeUndefined();
    expect(extractTraceContext({ traceparent: 42 }, ROOT_CONTEXT)).toBe(ROOT_CONTEXT);
  });

  it("writes no tracestate for an empty trace state (the header is optional)", () => {
    const spanContext = { ...parseTraceparent(VALID)!, traceState: createTraceState("") };
    expect(injectTraceContext(trace.setSpanContext(ROOT_CONTEXT, spanContext))).toEqual({
      traceparent: VALID,
    });
  });
});
