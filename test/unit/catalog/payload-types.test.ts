/** Names and errors of the generated payload types (the typecheck itself: test/e2e/catalog-types). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  PayloadTypeError,
  payloadTypeName,
  payloadTypesModule,
} from "../../../shared/catalog/index.ts";
import { ADDRESS_PATTERN, type RegisteredChannel } from "../../../shared/registry/index.ts";
import { registryOf } from "../router-config/builders.ts";

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function withSchemas(schemas: Record<string, Record<string, unknown> | undefined>) {
  const registry = registryOf([
    {
      team: "team-a",
      channels: Object.keys(schemas).map((address) => ({ address, description: "d" })),
    },
  ]);
  registry.channels = registry.channels.map((c): RegisteredChannel => {
    const schema = schemas[c.address];
    return schema === undefined ? c : { ...c, payloadSchema: schema };
  });
  return registry;
}

describe("payload type names", () => {
  it("every registry address gives a TypeScript identifier", () => {
    fc.assert(
      fc.property(fc.stringMatching(ADDRESS_PATTERN), (address) => {
        expect(payloadTypeName(address)).toMatch(IDENTIFIER);
      }),
    );
  });

  it("addresses that would share a name get numbered ones, each in the channel map", async () => {
    const text = await payloadTypesModule(withSchemas({ "a-b/c": undefined, "a/b-c": undefined }));
    expect(text).toContain('"a-b/c": ABC;');
    expect(text).toContain('"a/b-c": ABC2;');
  });

  it("two schemas naming the same sub-type is an error naming both channels", async () => {
    const shared = { $defs: { money: { title: "Money", type: "number" } } };
    const schema = { ...shared, type: "object", properties: { amount: { $ref: "#/$defs/money" } } };
    await expect(payloadTypesModule(withSchemas({ "a/x": schema, "a/y": schema }))).rejects.toThrow(
      new PayloadTypeError(
        "the payload schemas of a/x and a/y both name a type Money: rename one (its title or $defs key)",
      ),
    );
  });

  it("a reference outside the schema is refused, never fetched", async () => {
    const schema = { type: "object", properties: { a: { $ref: "https://example.com/s.json" } } };
    await expect(payloadTypesModule(withSchemas({ "a/x": schema }))).rejects.toThrow(
      /the payload schema of a\/x \(team-a\) gives no TypeScript type/,
    );
  });
});
