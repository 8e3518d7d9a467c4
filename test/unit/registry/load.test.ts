import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRegistry } from "../../../shared/registry/index.ts";
import {
  caseFile,
  checkRegistryCase,
  REGISTRY_FIXTURES,
  withCode,
  writeTempProject,
} from "./helpers.ts";

describe("loadRegistry: the document format", () => {
  it("reports unknown keys with the closest allowed key", async () => {
    const diagnostics = await checkRegistryCase("unknown-key");
    const file = caseFile("unknown-key", "sales.yaml");
    expect(withCode(diagnostics, "registry/unknown-key")).toEqual([
      {
        severity: "error",
        code: "registry/unknown-key",
        file,
        line: 3,
        column: 1,
        message: "unknown key 'chanels'; did you mean 'channels'?",
      },
      {
        severity: "error",
        code: "registry/unknown-key",
        file,
        line: 6,
        column: 5,
        message: "unknown key 'descripton'; did you mean 'description'?",
      },
    ]);
    const hints = diagnostics.filter((d) => d.code === "registry/unknown-key").map((d) => d.hint);
    expect(hints).toEqual([
      "rename 'chanels' to 'channels'",
      "rename 'descripton' to 'description'",
    ]);
  });

  it("reports a missing required key at the map that lacks it", async () => {
    const diagnostics = await checkRegistryCase("unknown-key");
    expect(withCode(diagnostics, "registry/missing-key")).toEqual([
      {
        severity: "error",
        code: "registry/missing-key",
        file: caseFile("unknown-key", "sales.yaml"),
        line: 5,
        column: 5,
        message: "missing required key 'description'",
      },
    ]);
  });

  it("spells out the allowed characters of bad names, and still checks the channels", async () => {
    const diagnostics = await checkRegistryCase("bad-names");
    const file = caseFile("bad-names", "sales.yaml");
    expect(withCode(diagnostics, "registry/invalid-name")).toEqual([
      {
        severity: "error",
        code: "registry/invalid-name",
        file,
        line: 1,
        column: 7,
        message:
          "invalid team 'Sales_Team': use lower-case letters a-z, digits 0-9 and '-', starting with a letter",
      },
      {
        severity: "error",
        code: "registry/invalid-name",
        file,
        line: 3,
        column: 14,
        message:
          "invalid address 'sales orders': use letters, digits and '.', '_', '-', '/', starting with a letter or digit (no spaces, wildcards or other characters)",
      },
    ]);
  });

  it("reports wrong values, types and ranges, each at its value", async () => {
    const diagnostics = await checkRegistryCase("bad-values");
    const file = caseFile("bad-values", "sales.yaml");
    expect(withCode(diagnostics, "registry/invalid-value")).toEqual([
      {
        severity: "error",
        code: "registry/invalid-value",
        file,
        line: 4,
        column: 19,
        message: "invalid distribution 'multicst'; did you mean 'multicast'?",
      },
      {
        severity: "error",
        code: "registry/invalid-value",
        file,
        line: 8,
        column: 22,
        message: "invalid kind 'brokr'; did you mean 'broker'?",
      },
    ]);
    expect(withCode(diagnostics, "registry/out-of-range")).toEqual([
      {
        severity: "error",
        code: "registry/out-of-range",
        file,
        line: 5,
        column: 21,
        message: "'maxMessageSize' must be more than 0, got integer -5",
      },
    ]);
    expect(withCode(diagnostics, "registry/invalid-type")).toEqual([
      {
        severity: "error",
        code: "registry/invalid-type",
        file,
        line: 6,
        column: 16,
        message: "'producers' must be a list, got string 'sales'",
      },
    ]);
    const hint = diagnostics.find((d) => d.code === "registry/invalid-type")?.hint;
    expect(hint).toBe("write a list, e.g. [a, b] or one '- item' per line");
  });

  it("reports duplicate keys, naming the key and its first place (yaml/duplicate-key)", async () => {
    const diagnostics = await checkRegistryCase("yaml-syntax");
    expect(withCode(diagnostics, "yaml/duplicate-key")).toEqual([
      {
        severity: "error",
        code: "yaml/duplicate-key",
        file: caseFile("yaml-syntax", "billing.yaml"),
        line: 2,
        column: 1,
        message: "duplicate key 'team' (first at line 1, column 1)",
      },
    ]);
  });

  it("turns YAML syntax errors into diagnostics (yaml/syntax)", async () => {
    // Written at test time: the linter refuses to keep broken YAML in the repository.
    const dir = await writeTempProject({
      "registry/sales.yaml":
        "team: sales\nchannels:\n  - address: sales/orders\n     description: misindented\n",
    });
    const { diagnostics } = await loadRegistry(dir);
    expect(withCode(diagnostics, "yaml/syntax")[0]).toEqual({
      severity: "error",
      code: "yaml/syntax",
      file: join(dir, "registry", "sales.yaml"),
      line: 3,
      column: 14,
      message: "Nested mappings are not allowed in compact mappings",
    });
  });

  it("reports an empty document", async () => {
    const diagnostics = await checkRegistryCase("empty-document");
    expect(withCode(diagnostics, "registry/empty-document")).toEqual([
      {
        severity: "error",
        code: "registry/empty-document",
        file: caseFile("empty-document", "sales.yaml"),
        line: 1,
        column: 1,
        message: "the registry document is empty",
      },
    ]);
  });

  it("reports a missing registry folder and warns about an empty one", async () => {
    const missing = await loadRegistry(`${REGISTRY_FIXTURES}/does-not-exist`);
    expect(withCode(missing.diagnostics, "registry/missing-directory")).toEqual([
      {
        severity: "error",
        code: "registry/missing-directory",
        file: `${REGISTRY_FIXTURES}/does-not-exist/registry`,
        line: 1,
        column: 1,
        message: `registry folder ${REGISTRY_FIXTURES}/does-not-exist/registry cannot be read`,
      },
    ]);
    const empty = await loadRegistry(`${REGISTRY_FIXTURES}/no-documents`);
    expect(withCode(empty.diagnostics, "registry/no-documents")).toEqual([
      {
        severity: "warning",
        code: "registry/no-documents",
        file: `${REGISTRY_FIXTURES}/no-documents/registry`,
        line: 1,
        column: 1,
        message: `registry folder ${REGISTRY_FIXTURES}/no-documents/registry holds no *.yaml documents`,
      },
    ]);
  });

  it("reads documents in name order and resolves schemaFile relative to the document", async () => {
    const { registry, diagnostics } = await loadRegistry("examples");
    expect(diagnostics).toEqual([]);
    expect(registry.teams.map((t) => t.team)).toEqual(["billing", "logistics", "sales"]);
    const invoices = registry.channels.find((c) => c.address === "billing/invoices");
    expect(invoices?.payloadSchema).toMatchObject({ required: ["invoiceId", "orderId", "amount"] });
    expect(invoices?.source).toEqual({
      file: "examples/registry/billing.yaml",
      line: 6,
      column: 5,
    });
    expect(invoices?.owner).toBe("billing");
    const orders = registry.channels.find((c) => c.address === "sales/orders");
    expect(orders?.payloadSchema).toBe(orders?.schema);
  });

  it("reports a schemaFile that is missing or not JSON at the schemaFile key", async () => {
    const diagnostics = await checkRegistryCase("payload-schemas");
    const file = caseFile("payload-schemas", "sales.yaml");
    expect(withCode(diagnostics, "registry/schema-file-missing")).toEqual([
      {
        severity: "error",
        code: "registry/schema-file-missing",
        file,
        line: 11,
        column: 17,
        message: `schemaFile 'schemas/nowhere.json' does not exist (looked for ${REGISTRY_FIXTURES}/payload-schemas/registry/schemas/nowhere.json)`,
      },
    ]);
    expect(withCode(diagnostics, "registry/schema-file-not-json")).toEqual([
      {
        severity: "error",
        code: "registry/schema-file-not-json",
        file,
        line: 16,
        column: 17,
        message: expect.stringMatching(/^schemaFile 'schemas\/broken\.json' is not JSON: /),
      },
    ]);
  });

  it("keeps a team whose header is invalid but whose name is usable, so others can refer to it", async () => {
    const dir = await writeTempProject({
      "registry/billing.yaml": "team: billing\nprincipals: billing-worker\nchannels: []\n",
      "registry/sales.yaml": [
        "team: sales",
        "channels:",
        "  - address: sales/orders",
        "    description: Orders.",
        "    routing: { kind: broker, brokr: rabbit }",
        "    producers: [sales]",
        "    consumers: [billing]",
        "",
      ].join("\n"),
    });
    const { registry, diagnostics } = await loadRegistry(dir);
    expect(registry.teams.map((t) => t.team)).toEqual(["billing", "sales"]);
    expect(diagnostics.map((d) => [d.code, d.line, d.column, d.message])).toEqual([
      ["registry/invalid-type", 2, 13, "'principals' must be a list, got string 'billing-worker'"],
      ["registry/missing-key", 5, 14, "missing required key 'broker'"],
      ["registry/unknown-key", 5, 30, "unknown key 'brokr'; did you mean 'broker'?"],
    ]);
  });
});
