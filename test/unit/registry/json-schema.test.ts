import { readFile } from "node:fs/promises";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  REGISTRY_JSON_SCHEMA_FILE,
  registryJsonSchema,
  registryJsonSchemaText,
} from "../../../shared/registry/index.ts";

describe("registry JSON Schema", () => {
  it("the committed registry.schema.json is up to date", async () => {
    const committed = await readFile(REGISTRY_JSON_SCHEMA_FILE, "utf8");
    // If this fails, regenerate: npx tsx shared/registry/write-json-schema.ts
    expect(committed, "stale: run npx tsx shared/registry/write-json-schema.ts").toBe(
      registryJsonSchemaText(),
    );
  });

  it("accepts the example documents and rejects unknown keys, as editors will", async () => {
    const validate = new Ajv2020({ strict: false }).compile(registryJsonSchema());
    for (const team of ["billing", "logistics", "sales"]) {
      const document = parse(await readFile(`examples/registry/${team}.yaml`, "utf8"));
      expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    }
    expect(validate({ team: "sales", chanels: [] })).toBe(false);
    expect(validate({ team: "Sales" })).toBe(false);
  });
});
