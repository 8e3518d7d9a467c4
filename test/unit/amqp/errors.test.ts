import { describe, expect, it } from "vitest";
import {
  BackPressureError,
  ConnectionFailedError,
  isBackPressureError,
  isMeshError,
  isMeshErrorWithCode,
  isPublishRejectedError,
  isRetryable,
  isTransientPublishError,
  PermanentError,
  PublishRejectedError,
  PublishTimeoutError,
  RetryableError,
} from "../../../shared/amqp/index.ts";

const rejected = new PublishRejectedError({
  address: "orders",
  url: "amqp://edge:5672",
  messageId: "m1",
  condition: "amqp:unauthorized-access",
  description: "not allowed on orders",
});
const backPressure = new BackPressureError({
  address: "orders",
  url: "amqp://edge:5672",
  messageId: "m2",
  deadlineMs: 500,
  retryAfterMs: 1_000,
  reason: "no-credit",
});

describe("typed errors", () => {
  it("say what went wrong and where", () => {
    expect(rejected.message).toBe(
      'router amqp://edge:5672 rejected message m1 to "orders": amqp:unauthorized-access: not allowed on orders',
    );
    expect(backPressure.message).toContain(
      '"orders" not sent within 500 ms: no credit from router amqp://edge:5672',
    );
  });

  it("type guards narrow by class and code", () => {
    expect(isMeshError(rejected)).toBe(true);
    expect(isMeshError(new Error("x"))).toBe(false);
    expect(isPublishRejectedError(rejected)).toBe(true);
    expect(isBackPressureError(backPressure)).toBe(true);
    expect(isMeshErrorWithCode(backPressure, "back-pressure")).toBe(true);
    expect(isMeshErrorWithCode(backPressure, "publish-rejected")).toBe(false);
    const timeout = new PublishTimeoutError({
      address: "a",
      url: undefined,
      messageId: "m",
      deadlineMs: 1,
      lastOutcome: "released",
      attempts: 3,
      retryAfterMs: 1_000,
    });
    expect(
      [backPressure, timeout, new ConnectionFailedError("x")].every(isTransientPublishError),
    ).toBe(true);
    expect(isTransientPublishError(rejected)).toBe(false);
  });

  it("handler errors choose the settlement: retryable unless marked otherwise", () => {
    expect(isRetryable(new RetryableError("later"))).toBe(true);
    expect(isRetryable(new Error("unknown"))).toBe(true);
    expect(isRetryable(new PermanentError("never"))).toBe(false);
    expect(isRetryable(Object.assign(new Error("x"), { retryable: false }))).toBe(false);
    expect(isRetryable("a string")).toBe(true);
  });
});
