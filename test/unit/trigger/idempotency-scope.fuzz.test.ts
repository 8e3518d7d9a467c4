/**
 * The ids and keys that keep producers apart, as properties over arbitrary text: two
 * different (principal, caller id) pairs never give one ingress message id, and two different
 * (producer, message id) pairs on a channel never give one idempotency key — whatever
 * separators the parts contain.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { callerScopedMessageId } from "../../../shared/ingress/message-id.ts";
import { attemptKey, messageIdempotencyKey, recordIdempotencyKey } from "./imports.ts";

const part = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("/", "a/b", "%2F", ":", '"', "\\", ",", "null", '","'),
);

describe("scoped ids never collide across producers", () => {
  it("ingress message ids: the documented <principal>/<caller id> gives both parts back", () => {
    fc.assert(
      fc.property(
        part.filter((p) => p !== ""),
        part,
        (principal, id) => {
          const messageId = callerScopedMessageId(principal, id);
          const slash = messageId.indexOf("/");
          expect(decodeURIComponent(messageId.slice(0, slash))).toBe(principal);
          expect(messageId.slice(slash + 1)).toBe(id);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("ingress message ids: a principal cannot borrow another's prefix through its id", () => {
    // 'a' sending 'b/c' against 'a/b' sending 'c', and every such split.
    fc.assert(
      fc.property(
        part.filter((p) => p !== ""),
        part,
        part,
        (a, b, c) => {
          expect(callerScopedMessageId(a, `${b}/${c}`)).not.toBe(
            callerScopedMessageId(`${a}/${b}`, c),
          );
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("the same caller's retry keeps its id", () => {
    fc.assert(
      fc.property(part, part, (principal, id) => {
        expect(callerScopedMessageId(principal, id)).toBe(callerScopedMessageId(principal, id));
      }),
    );
  });

  it("idempotency keys: distinct (producer, message id) pairs on a channel, distinct keys", () => {
    const producer = fc.option(part, { nil: undefined });
    fc.assert(
      fc.property(producer, part, producer, part, (a, idA, b, idB) => {
        fc.pre(a !== b || idA !== idB);
        expect(messageIdempotencyKey("sales/orders", a, idA)).not.toBe(
          messageIdempotencyKey("sales/orders", b, idB),
        );
      }),
      { numRuns: 2_000 },
    );
  });

  it("idempotency keys: no split of the same text between producer and id collides", () => {
    const separator = fc.constantFrom(",", "|", "/", ":", '","', " ", "", "\u0000");
    fc.assert(
      fc.property(part, part, part, separator, (a, b, c, sep) => {
        fc.pre(sep !== "" || b !== ""); // otherwise both sides are the same pair
        expect(messageIdempotencyKey("sales/orders", a, `${b}${sep}${c}`)).not.toBe(
          messageIdempotencyKey("sales/orders", `${a}${sep}${b}`, c),
        );
      }),
      { numRuns: 2_000 },
    );
    for (const stand of ["", "null", "undefined", "-"])
      expect(messageIdempotencyKey("sales/orders", undefined, "x")).not.toBe(
        messageIdempotencyKey("sales/orders", stand, "x"),
      );
  });

  it("idempotency keys: one channel's message is not another channel's", () => {
    fc.assert(
      fc.property(part, (id) => {
        expect(messageIdempotencyKey("sales/orders", "p", id)).not.toBe(
          messageIdempotencyKey("billing/invoices", "p", id),
        );
      }),
    );
  });

  it("records without a verified producer: the same bytes under an id are one message, other bytes another", () => {
    const body = fc.oneof(
      fc.string({ maxLength: 40 }).map((text) => ({ body: text, bodyEncoding: "utf8" as const })),
      fc
        .uint8Array({ maxLength: 40 })
        .map((b) => ({ body: Buffer.from(b).toString("base64"), bodyEncoding: "base64" as const })),
    );
    const bytes = (r: { body: string; bodyEncoding: "utf8" | "base64" }) =>
      Buffer.from(r.body, r.bodyEncoding);
    fc.assert(
      fc.property(part, body, body, (id, a, b) => {
        const ka = recordIdempotencyKey("sales/orders", { messageId: id || "x", ...a });
        const kb = recordIdempotencyKey("sales/orders", { messageId: id || "x", ...b });
        expect(ka === kb).toBe(bytes(a).equals(bytes(b)));
        // The bridge's attempt counts are kept apart the same way.
        const received = (text: string) => ({
          body: text,
          contentType: "text/plain",
          messageId: id || "x",
          correlationId: undefined,
          subject: undefined,
          replyTo: undefined,
          applicationProperties: {},
          creationTime: undefined,
          ttlMs: undefined,
          deliveryCount: 0,
        });
        expect(
          attemptKey("sales/orders", undefined, received(a.body)) ===
            attemptKey("sales/orders", undefined, received(b.body)),
        ).toBe(a.body === b.body);
      }),
      { numRuns: 2_000 },
    );
  });
});
