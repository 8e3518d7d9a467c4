import { describe, expect, it } from "vitest";
import { parseYaml } from "../../../shared/yaml/index.ts";

const TEXT = `# comment
team: sales
channels:
  - address: sales/orders
    producers: [a, b]
  - { address: sales/events, consumers: [c] }
empty:
`;

describe("YAML positions (shared/yaml)", () => {
  const parsed = parseYaml(TEXT, "x.yaml");

  it("maps document paths to 1-based lines and columns of values", () => {
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.locate(["team"])).toEqual({ line: 2, column: 7 });
    expect(parsed.locate(["channels", 0])).toEqual({ line: 4, column: 5 });
    expect(parsed.locate(["channels", 0, "address"])).toEqual({ line: 4, column: 14 });
    expect(parsed.locate(["channels", 0, "producers", 1])).toEqual({ line: 5, column: 20 });
    expect(parsed.locate(["channels", 1, "consumers", 0])).toEqual({ line: 6, column: 42 });
  });

  it("points at keys on request, and right after the colon when the value is empty", () => {
    expect(parsed.locate(["channels", 1, "address"], { key: true })).toEqual({
      line: 6,
      column: 7,
    });
    expect(parsed.locate(["empty"])).toEqual({ line: 7, column: 7 });
  });

  it("stops at the deepest existing node for paths that leave the document", () => {
    expect(parsed.locate(["channels", 0, "description"])).toEqual({ line: 4, column: 5 });
    expect(parsed.locate(["channels", 9])).toEqual({ line: 4, column: 3 });
    expect(parsed.locate([])).toEqual({ line: 2, column: 1 });
  });

  it("reports more than one document as a syntax error", () => {
    const multi = parseYaml("a: 1\n---\nb: 2\n", "m.yaml");
    expect(multi.diagnostics.map((d) => [d.code, d.line])).toEqual([["yaml/syntax", 2]]);
    expect(multi.value).toBeUndefined();
  });
});
