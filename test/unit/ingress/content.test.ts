import { describe, expect, it } from "vitest";
import { readMediaType } from "../../../shared/amqp/index.ts";
import { idempotencyKey, requestFormat } from "../../../shared/ingress/content.ts";
import { ProblemError } from "../../../shared/ingress/problem.ts";

function statusOf(call: () => unknown): number | "ok" {
  try {
    call();
    return "ok";
  } catch (error) {
    if (error instanceof ProblemError) return error.problem.status;
    throw error;
  }
}

describe("content type", () => {
  it("reads essence and charset, whatever the case and quoting", () => {
    expect(readMediaType('Application/JSON; Charset="UTF-8"')).toEqual({
      ok: true,
      media: { essence: "application/json", charset: "utf-8" },
    });
    expect(readMediaType("application/json")).toEqual({
      ok: true,
      media: { essence: "application/json", charset: undefined },
    });
    expect(readMediaType("json").ok).toBe(false);
    expect(readMediaType("application/json/x").ok).toBe(false);
  });

  it("picks the content mode: structured, batch, binary (ce-specversion), plain JSON", () => {
    const mode = (headers: Record<string, string>) => requestFormat(headers).mode;
    expect(mode({ "content-type": "application/cloudevents+json" })).toBe("structured");
    expect(mode({ "content-type": "application/cloudevents-batch+json" })).toBe("batch");
    expect(mode({ "content-type": "application/json", "ce-specversion": "1.0" })).toBe("binary");
    expect(mode({ "content-type": "application/vnd.shop.order+json" })).toBe("json");
    // Structured wins over stray ce- headers.
    expect(mode({ "content-type": "application/cloudevents+json", "ce-specversion": "1.0" })).toBe(
      "structured",
    );
  });

  it("refuses what is not UTF-8 JSON with 415", () => {
    for (const type of [
      undefined,
      "",
      "text/plain",
      "application/xml",
      "application/json; charset=utf-16",
      "nonsense",
    ])
      expect(
        statusOf(() => requestFormat(type === undefined ? {} : { "content-type": type })),
        String(type),
      ).toBe(415);
    expect(
      statusOf(() => requestFormat({ "content-type": "application/json; charset=utf8" })),
    ).toBe("ok");
  });
});

describe("Idempotency-Key", () => {
  it("takes a structured-field string or a bare token", () => {
    expect(idempotencyKey('"order-1 v2"')).toBe("order-1 v2");
    expect(idempotencyKey('"say \\"hi\\""')).toBe('say "hi"');
    expect(idempotencyKey("8e03978e-40d5-43e8-bc93-6894a57f9324")).toBe(
      "8e03978e-40d5-43e8-bc93-6894a57f9324",
    );
    expect(idempotencyKey(undefined)).toBeUndefined();
  });

  it("refuses empty, over-long, unterminated or non-ASCII keys with 400", () => {
    for (const bad of ['""', '"open', "two words", "ключ", "x".repeat(201), '"a"b"'])
      expect(
        statusOf(() => idempotencyKey(bad)),
        bad,
      ).toBe(400);
  });
});
