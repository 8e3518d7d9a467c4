/**
 * What a benchmark measured, kept for the results table: each bench calls `recordResults`
 * once at its end, which writes `test/bench/results/<bench>.json` (its figures, the machine,
 * the load average when the bench started and ended, the date) and one SVG per plot beside
 * it. `npm run bench` then builds `test/bench/results.md` from every JSON file there
 * (report.ts), so a run of one bench updates its rows and keeps the others' last ones.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { type Plot, renderPlotSvg } from "./plot.ts";

export type { Plot } from "./plot.ts";

/** The folder the results live in (committed: the table shows the last quiet-machine run). */
export const RESULTS_DIR = fileURLToPath(new URL("./results/", import.meta.url));

/** A goal: the measured value must be at least / at most `value`. */
export interface Goal {
  op: ">=" | "<=";
  value: number;
}

export interface Figure {
  /** What was measured, for a reader of the table. */
  what: string;
  value: number;
  /** "×", "ms", "KB", "msg/s"… */
  unit: string;
  /** The baseline measured in the same run and what the figure is against it, in words. */
  baseline?: string;
  goal?: Goal;
}

export interface BenchResults {
  bench: string;
  /** How the figures were made (router, rounds, message counts…), one line each. */
  setup: string[];
  figures: Figure[];
  plots?: Plot[];
}

export interface RecordedResults extends BenchResults {
  date: string;
  machine: { cores: number; cpu: string; memoryGiB: number; node: string; platform: string };
  loadAtStart: number[];
  loadAtEnd: number[];
  /** File names of the plots' SVGs in RESULTS_DIR. */
  plotFiles: string[];
}

/** Load average when this module was first imported: the bench's start. */
const loadAtStart = loadavg();

export function goalMet(figure: Figure): boolean | undefined {
  const { goal } = figure;
  if (goal === undefined) return undefined;
  return goal.op === ">=" ? figure.value >= goal.value : figure.value <= goal.value;
}

/** Writes the bench's results and plots into `dir` (RESULTS_DIR by default). */
export async function recordResults(
  results: BenchResults,
  dir: string = RESULTS_DIR,
): Promise<RecordedResults> {
  await mkdir(dir, { recursive: true });
  const plotFiles: string[] = [];
  for (const plot of results.plots ?? []) {
    const file = `${results.bench}-${plot.id}.svg`;
    await writeFile(`${dir}/${file}`, renderPlotSvg(plot));
    plotFiles.push(file);
  }
  const cpu = cpus();
  const recorded: RecordedResults = {
    ...results,
    date: new Date().toISOString(),
    machine: {
      cores: cpu.length,
      cpu: cpu[0]?.model.trim() ?? "unknown",
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    },
    loadAtStart: loadAtStart.map(round1),
    loadAtEnd: loadavg().map(round1),
    plotFiles,
  };
  await writeFile(`${dir}/${results.bench}.json`, `${JSON.stringify(recorded, null, 2)}\n`);
  return recorded;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
