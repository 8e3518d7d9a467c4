import { describe, expect, it } from "vitest";
import { payloadSchemaProblems } from "../../../shared/registry/index.ts";

describe("payloadSchemaProblems", () => {
  it("accepts draft 2020-12 schemas, unknown formats included", () => {
    expect(payloadSchemaProblems({ type: "string", format: "email" })).toEqual([]);
    expect(payloadSchemaProblems({ $defs: { a: { type: "string" } }, $ref: "#/$defs/a" })).toEqual(
      [],
    );
  });

  it("two schemas that declare the same $id do not clash", () => {
    const schema = { $id: "https://example.com/order", type: "object" };
    expect(payloadSchemaProblems(schema)).toEqual([]);
    expect(payloadSchemaProblems({ ...schema, required: ["a"] })).toEqual([]);
  });

  it("reports unresolvable references and foreign drafts", () => {
    expect(payloadSchemaProblems({ $ref: "#/$defs/missing" })).toEqual([
      { pointer: "", message: "can't resolve reference #/$defs/missing from id #" },
    ]);
    expect(
      payloadSchemaProblems({ $schema: "http://json-schema.org/draft-07/schema#", type: "object" }),
    ).toEqual([
      {
        pointer: "",
        message: 'no schema with key or ref "http://json-schema.org/draft-07/schema#"',
      },
    ]);
  });
});
