import { describe, expect, it } from "vitest";
import {
  BackPressureError,
  ConnectionFailedError,
  isBackPressureError,
  isMeshError,
  isMeshErrorWithCode,
  isPublishRejectedError,
  isRetryable,
  isTransientLinkCondition,
  isTransientPublishError,
  LinkRefusedError,
  NoRouteError,
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

  it("link conditions: no route for now is transient, a refusal of the address is final", () => {
    for (const condition of [
      "qd:no-route-to-dest",
      "qd:routed-link-lost",
      "amqp:link:detach-forced",
    ])
      expect(isTransientLinkCondition(condition)).toBe(true);
    for (const condition of [
      "amqp:unauthorized-access",
      "amqp:not-found",
      "amqp:not-allowed",
      "amqp:resource-limit-exceeded",
      "amqp:invalid-field",
      "vendor:something-else",
      undefined,
    ])
      expect(isTransientLinkCondition(condition)).toBe(false);
    const refused = (condition: string) =>
      new LinkRefusedError({
        address: "a",
        url: undefined,
        role: "receiver",
        condition,
        description: undefined,
      });
    expect(refused("qd:no-route-to-dest").transient).toBe(true);
    expect(refused("amqp:unauthorized-access").transient).toBe(false);
  });

  it("a routed link lost says what the router lost and the user-id cause RabbitMQ ends it for", () => {
    const lost = new LinkRefusedError({
      address: "billing/invoices",
      url: "amqp://edge:5672",
      role: "sender",
      condition: "qd:routed-link-lost",
      description: "Connectivity to the peer container was lost",
    });
    expect(lost.message).toBe(
      'router amqp://edge:5672 closed the sender link to "billing/invoices": qd:routed-link-lost: ' +
        "Connectivity to the peer container was lost (the router lost its session with the " +
        "broker; RabbitMQ 3.x ends that session, and every routed link on it, over a message " +
        "whose user-id is not the router's broker login (send no user_id on a broker channel) " +
        "or an outcome it cannot read)",
    );
    expect(lost.transient).toBe(true);
  });

  it("NoRouteError says the address had no route for the deadline, and is transient", () => {
    const noRoute = new NoRouteError({
      address: "broker/orders",
      url: "amqp://edge:5672",
      messageId: "m3",
      deadlineMs: 2_000,
      condition: "qd:no-route-to-dest",
      description: "No route to the destination node",
      attaches: 4,
      retryAfterMs: 1_000,
    });
    expect(noRoute.message).toBe(
      'message m3 to "broker/orders" not sent within 2000 ms: router amqp://edge:5672 had no route to the destination the whole time (4 attach(es) refused, last: qd:no-route-to-dest: No route to the destination node); retry after 1000 ms',
    );
    expect(isMeshErrorWithCode(noRoute, "no-route")).toBe(true);
    expect(isTransientPublishError(noRoute)).toBe(true);
    expect(noRoute).not.toBeInstanceOf(LinkRefusedError);
  });

  it("handler errors choose the settlement: retryable unless marked otherwise", () => {
    expect(isRetryable(new RetryableError("later"))).toBe(true);
    expect(isRetryable(new Error("unknown"))).toBe(true);
    expect(isRetryable(new PermanentError("never"))).toBe(false);
    expect(isRetryable(Object.assign(new Error("x"), { retryable: false }))).toBe(false);
    expect(isRetryable("a string")).toBe(true);
  });
});
