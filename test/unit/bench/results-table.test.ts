import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { renderPlotSvg } from "../../bench/plot.ts";
import { resultsMarkdown, writeResultsTable } from "../../bench/report.ts";
import { goalMet, recordResults } from "../../bench/results.ts";

const coordinates = (svg: string): Array<[number, number]> =>
  [...svg.matchAll(/<circle cx="([\d.-]+)" cy="([\d.-]+)"/g)].map((m) => [
    Number(m[1]),
    Number(m[2]),
  ]);

describe("bench plots", () => {
  it("places every point inside the plot area, higher values higher up", () => {
    const svg = renderPlotSvg({
      id: "p",
      title: "t",
      xLabel: "x",
      yLabel: "y",
      series: [
        {
          name: "a",
          points: [
            [1, 10],
            [2, 30],
            [3, 20],
          ],
        },
      ],
    });
    const [p1, p2, p3] = coordinates(svg);
    for (const [x, y] of [p1, p2, p3] as Array<[number, number]>) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(640);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(360);
    }
    expect(p2?.[1]).toBeLessThan(p3?.[1] as number); // 30 above 20 (SVG y grows down)
    expect(p3?.[1]).toBeLessThan(p1?.[1] as number);
    expect(p1?.[0]).toBeLessThan(p2?.[0] as number);
  });

  it("spaces a log axis by ratio: 1 KiB sits where 1024/100 falls between 100 and 64 KiB", () => {
    const svg = renderPlotSvg({
      id: "p",
      title: "t",
      xLabel: "x",
      yLabel: "y",
      xScale: "log",
      series: [
        {
          name: "a",
          points: [
            [100, 1],
            [1024, 1],
            [65536, 1],
          ],
        },
      ],
    });
    const [a, b, c] = coordinates(svg).map(([x]) => x) as [number, number, number];
    const expected = Math.log(1024 / 100) / Math.log(65536 / 100);
    expect((b - a) / (c - a)).toBeCloseTo(expected, 2);
  });

  it("escapes text that would break the SVG", () => {
    const svg = renderPlotSvg({
      id: "p",
      title: `<script>alert("x")</script> & more`,
      xLabel: "x",
      yLabel: "y",
      series: [{ name: "a<b", points: [[1, 1]] }],
    });
    expect(svg).not.toContain("<script>");
    expect(svg).toContain("&#60;script&#62;");
    expect(svg).toContain("a&#60;b");
  });

  it("renders any numbers without throwing and without NaN in the markup (fuzz)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            name: fc.string(),
            points: fc.array(fc.tuple(fc.double(), fc.double()), { maxLength: 8 }),
          }),
          { maxLength: 4 },
        ),
        fc.boolean(),
        (series, log) => {
          const svg = renderPlotSvg({
            id: "p",
            title: "t",
            xLabel: "x",
            yLabel: "y",
            xScale: log ? "log" : "linear",
            series,
          });
          expect(svg.startsWith("<svg")).toBe(true);
          expect(svg).not.toMatch(/NaN|Infinity/);
        },
      ),
    );
  });
});

describe("the results table", () => {
  it("says met or missed against each goal, in both directions", () => {
    expect(goalMet({ what: "r", value: 0.85, unit: "×", goal: { op: ">=", value: 0.9 } })).toBe(
      false,
    );
    expect(goalMet({ what: "r", value: 0.95, unit: "×", goal: { op: ">=", value: 0.9 } })).toBe(
      true,
    );
    expect(goalMet({ what: "t", value: 31, unit: "ms", goal: { op: "<=", value: 30 } })).toBe(
      false,
    );
    expect(goalMet({ what: "n", value: 1, unit: "ms" })).toBeUndefined();
  });

  it("writes each recorded bench's figures, machine, load and plots into results.md", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bench-results-"));
    try {
      const results = join(dir, "results");
      await recordResults(
        {
          bench: "demo",
          setup: ["one router"],
          figures: [
            {
              what: "publish | ratio",
              value: 0.8,
              unit: "×",
              baseline: "raw 10 msg/s",
              goal: { op: ">=", value: 0.9 },
            },
          ],
          plots: [{ id: "size", title: "t", xLabel: "x", yLabel: "y", series: [] }],
        },
        results,
      );
      const file = await writeResultsTable(results);
      const text = await readFile(file, "utf8");
      expect(text).toContain(
        "| demo | publish \\| ratio | 0.80× | raw 10 msg/s | ≥ 0.90× | **missed** |",
      );
      expect(text).toMatch(/load average [\d. ]+ at start/);
      expect(text).toContain("![demo-size.svg](results/demo-size.svg)");
      expect(await readFile(join(results, "demo-size.svg"), "utf8")).toContain("<svg");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("renders an empty table when nothing was recorded", () => {
    expect(resultsMarkdown([])).toContain("| bench | figure |");
  });
});
