import { rm } from "node:fs/promises";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../../shared/diagnostics.ts";
import { loadRegistry, validateRegistry } from "../../../shared/registry/index.ts";
import { parseYaml } from "../../../shared/yaml/index.ts";
import { writeTempProject } from "./helpers.ts";

function wellFormed(d: Diagnostic): boolean {
  return (
    Number.isInteger(d.line) &&
    d.line >= 1 &&
    Number.isInteger(d.column) &&
    d.column >= 1 &&
    d.message.length > 0 &&
    d.hint.length > 0 &&
    d.code.includes("/")
  );
}

/** YAML-ish text: keys of the real format mixed with punctuation YAML gives meaning to. */
const yamlish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "team: ",
        "channels:\n",
        "  - address: ",
        "    schema: ",
        "    producers: [",
        "]",
        "{",
        "}",
        ": ",
        "- ",
        "\n",
        "  ",
        "&a ",
        "*a",
        "!!str ",
        "'",
        '"',
        "#",
        "---\n",
        "\t",
        "sales/orders",
        "multicast",
        "null",
        "1e999",
      ),
      fc.string({ maxLength: 12 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));

/** Values of the right overall shape but arbitrary leaves. */
const documentish = fc.record({
  team: fc.oneof(fc.constantFrom("sales", "billing"), fc.anything()),
  principals: fc.oneof(fc.array(fc.string()), fc.anything()),
  channels: fc.array(
    fc.record(
      {
        address: fc.oneof(fc.constantFrom("sales/orders", "sales", "billing/x"), fc.string()),
        description: fc.anything(),
        distribution: fc.constantFrom("balanced", "multicast", "closest", "x"),
        delivery: fc.constantFrom("at-least-once", "at-most-once"),
        producers: fc.oneof(fc.array(fc.constantFrom("sales", "billing", "x")), fc.anything()),
        consumers: fc.array(fc.string()),
        deadLetter: fc.constantFrom("sales/orders", "sales", "nope"),
        schema: fc.oneof(fc.object(), fc.anything()),
        schemaFile: fc.string(),
        routing: fc.anything(),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 4 },
  ),
});

describe("registry loading never throws (fuzz)", () => {
  it("parseYaml: arbitrary text gives a value or diagnostics, never an exception", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          yamlish,
          fc.string(),
          fc.uint8Array().map((b) => Buffer.from(b).toString("latin1")),
        ),
        (text) => {
          const parsed = parseYaml(text, "fuzz.yaml");
          expect(parsed.diagnostics.every(wellFormed)).toBe(true);
          expect(parsed.locate(["channels", 0, "address"]).line).toBeGreaterThanOrEqual(1);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("loadRegistry + validateRegistry: garbage documents give diagnostics", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            yamlish,
            documentish.map((d) => JSON.stringify(d)),
          ),
          { minLength: 1, maxLength: 3 },
        ),
        async (texts) => {
          const files = Object.fromEntries(texts.map((t, i) => [`registry/team-${i}.yaml`, t]));
          const dir = await writeTempProject(files);
          const { registry, diagnostics } = await loadRegistry(dir);
          const all = [...diagnostics, ...validateRegistry(registry)];
          await rm(dir, { recursive: true, force: true });
          expect(all.every(wellFormed)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});
