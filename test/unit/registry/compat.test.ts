import { describe, expect, it } from "vitest";
import {
  type ChannelRegistry,
  findBreakingChanges,
  type RegisteredChannel,
} from "../../../shared/registry/index.ts";

const BASE_SCHEMA = {
  type: "object",
  required: ["id"],
  properties: {
    id: { type: "string", maxLength: 20 },
    amount: { type: "number", minimum: 0, maximum: 1000 },
    currency: { type: "string", enum: ["EUR", "USD"] },
    note: { type: ["string", "null"] },
    lines: {
      type: "array",
      items: { type: "object", properties: { sku: { type: "string" }, qty: { type: "integer" } } },
    },
  },
};

function channel(overrides: Partial<RegisteredChannel> = {}): RegisteredChannel {
  return {
    address: "sales/orders",
    description: "Orders.",
    version: 1,
    distribution: "balanced",
    delivery: "at-least-once",
    routing: { kind: "message" },
    maxMessageSize: 65536,
    replyTo: false,
    producers: ["sales"],
    consumers: ["billing"],
    owner: "sales",
    payloadSchema: structuredClone(BASE_SCHEMA),
    source: { file: "registry/sales.yaml", line: 3, column: 5 },
    ...overrides,
  };
}

function registry(...channels: RegisteredChannel[]): ChannelRegistry {
  return { teams: [], channels };
}

/** The kinds and pointers found when the schema is changed by `edit`. */
function changesAfter(edit: (schema: typeof BASE_SCHEMA & Record<string, unknown>) => void) {
  const next = structuredClone(BASE_SCHEMA) as typeof BASE_SCHEMA & Record<string, unknown>;
  edit(next);
  const result = findBreakingChanges(
    registry(channel()),
    registry(channel({ payloadSchema: next })),
  );
  return result.flatMap((r) =>
    r.changes.map(({ kind, pointer, message }) => ({ kind, pointer, message })),
  );
}

describe("findBreakingChanges", () => {
  it("reports nothing for an identical registry", () => {
    expect(findBreakingChanges(registry(channel()), registry(channel()))).toEqual([]);
  });

  it("a compatible change reports nothing: added unconstrained property, widened enum and type, raised limits", () => {
    expect(
      changesAfter((s) => {
        (s.properties as Record<string, unknown>).comment = { description: "free text" };
        s.properties.currency.enum.push("GBP");
        s.properties.lines.items.properties.qty.type = "number";
        s.properties.id.maxLength = 40;
        s.properties.amount.minimum = -10;
        s.required = [];
      }),
    ).toEqual([]);
  });

  it("removed property", () => {
    expect(changesAfter((s) => delete (s.properties as Record<string, unknown>).currency)).toEqual([
      {
        kind: "property-removed",
        pointer: "/properties/currency",
        message: "property 'currency' of the payload was removed",
      },
    ]);
  });

  it("newly required property", () => {
    expect(changesAfter((s) => s.required.push("amount"))).toEqual([
      {
        kind: "property-required",
        pointer: "/required",
        message: "property 'amount' of the payload is now required",
      },
    ]);
  });

  it("narrowed type: number → integer, and a union that shrinks", () => {
    expect(
      changesAfter((s) => {
        (s.properties.amount as Record<string, unknown>).type = "integer";
        (s.properties.note as Record<string, unknown>).type = "string";
      }),
    ).toEqual([
      {
        kind: "type-narrowed",
        pointer: "/properties/amount/type",
        message: 'type of /properties/amount narrowed from "number" to "integer"',
      },
      {
        kind: "type-narrowed",
        pointer: "/properties/note/type",
        message: 'type of /properties/note narrowed from ["string","null"] to "string"',
      },
    ]);
  });

  it("removed enum value", () => {
    expect(changesAfter((s) => (s.properties.currency.enum = ["EUR"]))).toEqual([
      {
        kind: "enum-value-removed",
        pointer: "/properties/currency/enum",
        message: 'enum value "USD" of /properties/currency was removed',
      },
    ]);
  });

  it("added additionalProperties: false", () => {
    expect(changesAfter((s) => (s.additionalProperties = false))).toEqual([
      {
        kind: "additional-properties-closed",
        pointer: "/additionalProperties",
        message:
          "the payload no longer accepts properties it does not list (additionalProperties: false)",
      },
    ]);
  });

  it("lowered maxLength and maximum, raised minimum", () => {
    expect(
      changesAfter((s) => {
        s.properties.id.maxLength = 10;
        s.properties.amount.maximum = 500;
        s.properties.amount.minimum = 1;
      }),
    ).toEqual([
      {
        kind: "limit-narrowed",
        pointer: "/properties/id/maxLength",
        message: "maxLength of /properties/id lowered from 20 to 10",
      },
      {
        kind: "limit-narrowed",
        pointer: "/properties/amount/maximum",
        message: "maximum of /properties/amount lowered from 1000 to 500",
      },
      {
        kind: "limit-narrowed",
        pointer: "/properties/amount/minimum",
        message: "minimum of /properties/amount raised from 0 to 1",
      },
    ]);
  });

  it("follows nested properties and items", () => {
    expect(
      changesAfter((s) => {
        s.properties.lines.items.properties.qty.type = "string";
        delete (s.properties.lines.items.properties as Record<string, unknown>).sku;
      }),
    ).toEqual([
      {
        kind: "property-removed",
        pointer: "/properties/lines/items/properties/sku",
        message: "property 'sku' of /properties/lines/items was removed",
      },
      {
        kind: "type-narrowed",
        pointer: "/properties/lines/items/properties/qty/type",
        message:
          'type of /properties/lines/items/properties/qty narrowed from "integer" to "string"',
      },
    ]);
  });

  it("an optional property with a schema, added where any property was accepted, is breaking", () => {
    // {"comment": 5} was a valid payload; now comment must be a string.
    expect(
      changesAfter((s) => ((s.properties as Record<string, unknown>).comment = { type: "string" })),
    ).toEqual([
      {
        kind: "type-narrowed",
        pointer: "/properties/comment/type",
        message: 'type of /properties/comment narrowed from "any" to "string"',
      },
    ]);
    // Where unlisted properties were refused already, the same addition breaks nothing.
    const closed = { ...structuredClone(BASE_SCHEMA), additionalProperties: false };
    const withComment = structuredClone(closed) as Record<string, unknown>;
    (withComment.properties as Record<string, unknown>).comment = { type: "string" };
    expect(
      findBreakingChanges(
        registry(channel({ payloadSchema: closed })),
        registry(channel({ payloadSchema: withComment })),
      ),
    ).toEqual([]);
  });

  it("follows a reference into $defs: moving a property's schema there is no change, narrowing it there is", () => {
    const moved = changesAfter((s) => {
      s.$defs = { id: { type: "string", maxLength: 20 } };
      (s.properties as Record<string, unknown>).id = { $ref: "#/$defs/id" };
    });
    expect(moved).toEqual([]);
    expect(
      changesAfter((s) => {
        s.$defs = { id: { type: "string", maxLength: 10 } };
        (s.properties as Record<string, unknown>).id = { $ref: "#/$defs/id" };
      }),
    ).toEqual([
      {
        kind: "limit-narrowed",
        pointer: "/$defs/id/maxLength",
        message: "maxLength of /$defs/id lowered from 20 to 10",
      },
    ]);
  });

  it("channel removed, distribution and delivery changed, schema added", () => {
    const other = channel({ address: "sales/events", payloadSchema: undefined });
    const result = findBreakingChanges(
      registry(channel(), other),
      registry(
        channel({ distribution: "closest", delivery: "at-most-once", address: "sales.orders" }),
      ),
    );
    expect(result.map((r) => [r.address, r.changes.map((c) => c.kind)])).toEqual([
      ["sales/orders", ["distribution-changed", "delivery-changed"]],
      ["sales/events", ["channel-removed"]],
    ]);
    expect(result[0]?.changes[0]?.message).toBe("distribution changed from balanced to closest");
    const added = findBreakingChanges(
      registry(other),
      registry({ ...other, payloadSchema: { type: "object" } }),
    );
    expect(added[0]?.changes.map((c) => c.kind)).toEqual(["schema-added"]);
  });

  it("turning replyTo off breaks requesters; turning it on breaks nothing", () => {
    const on = channel({ replyTo: true });
    expect(
      findBreakingChanges(registry(on), registry(channel())).flatMap((r) => r.changes),
    ).toEqual([expect.objectContaining({ kind: "reply-to-removed", pointer: "" })]);
    expect(findBreakingChanges(registry(channel()), registry(on))).toEqual([]);
  });

  it("marks breaking changes allowed when the version was raised", () => {
    const next = channel({
      version: 2,
      payloadSchema: { ...structuredClone(BASE_SCHEMA), additionalProperties: false },
    });
    const [same] = findBreakingChanges(registry(channel()), registry({ ...next, version: 1 }));
    const [raised] = findBreakingChanges(registry(channel()), registry(next));
    expect(same).toMatchObject({
      versionRaised: false,
      allowed: false,
      previousVersion: 1,
      nextVersion: 1,
    });
    expect(raised).toMatchObject({
      versionRaised: true,
      allowed: true,
      previousVersion: 1,
      nextVersion: 2,
    });
  });

  it("compares the example registry with itself as compatible", async () => {
    const { loadRegistry } = await import("../../../shared/registry/index.ts");
    const { registry: example } = await loadRegistry("examples");
    expect(findBreakingChanges(example, example)).toEqual([]);
  });
});
