/**
 * The results table: `test/bench/results.md` from every bench's last recorded results
 * (`results/<bench>.json`, written by recordResults): each figure, its baseline, the goal
 * and whether it was met, under the machine, its load and the date of the run that made it.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Figure, goalMet, RESULTS_DIR, type RecordedResults } from "./results.ts";

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

export function formatValue(value: number, unit: string): string {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const number = value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return unit === "×" ? `${number}×` : `${number} ${unit}`;
}

function goalText(figure: Figure): string {
  if (figure.goal === undefined) return "—";
  return `${figure.goal.op === ">=" ? "≥" : "≤"} ${formatValue(figure.goal.value, figure.unit)}`;
}

function metText(figure: Figure): string {
  const met = goalMet(figure);
  return met === undefined ? "—" : met ? "met" : "**missed**";
}

/** The markdown of the table for the given benches' results, in the order given. */
export function resultsMarkdown(all: RecordedResults[]): string {
  const lines = [
    "# Benchmark results",
    "",
    "Written by `npm run bench` (`test/bench/report.ts`) from each benchmark's last run",
    "(`test/bench/results/<bench>.json`); every figure is measured against a baseline in the",
    "same run. A figure measured on a loaded machine says little: check the load average of",
    "its run (1-minute, 5, 15) against the machine's cores.",
    "",
    "| bench | figure | measured | baseline (same run) | goal | met |",
    "|---|---|---|---|---|---|",
  ];
  for (const results of all)
    for (const figure of results.figures)
      lines.push(
        `| ${cell(results.bench)} | ${cell(figure.what)} | ${formatValue(figure.value, figure.unit)} | ${cell(figure.baseline ?? "—")} | ${goalText(figure)} | ${metText(figure)} |`,
      );
  for (const results of all) {
    const m = results.machine;
    lines.push(
      "",
      `## ${results.bench}`,
      "",
      `Run ${results.date.slice(0, 16).replace("T", " ")} UTC on ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}; load average ${results.loadAtStart.join(" ")} at start, ${results.loadAtEnd.join(" ")} at end.`,
      "",
      ...results.setup.map((line) => `- ${line}`),
    );
    for (const file of results.plotFiles) lines.push("", `![${file}](results/${file})`);
  }
  return `${lines.join("\n")}\n`;
}

/** Reads every recorded result in `dir` and writes `results.md` next to the folder. */
export async function writeResultsTable(dir: string = RESULTS_DIR): Promise<string> {
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((f) => f.endsWith(".json"))
    .sort();
  const all: RecordedResults[] = [];
  for (const name of names) {
    try {
      all.push(JSON.parse(await readFile(join(dir, name), "utf8")) as RecordedResults);
    } catch (error) {
      throw new Error(`bench results ${join(dir, name)} are not readable JSON: ${String(error)}`);
    }
  }
  const file = join(dir, "..", "results.md");
  await writeFile(file, resultsMarkdown(all));
  return file;
}
