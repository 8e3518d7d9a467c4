/**
 * The suite's closing count line, honest about set-up failures: vitest reports the tests of
 * a file or suite whose beforeAll failed as skipped, so a run whose mesh never formed read
 * "133 passed, 0 failed, 21 skipped". Here a test that was meant to run (not `skip`/`todo`)
 * and did not, under a suite or file that failed, counts as failed; so does a file that
 * failed with no test of its own (an import error). The line is printed after vitest's
 * summary and, with `outputFile`, written as JSON for `.ci/run`.
 *
 *   reporters: ["default", ["./test/setup/count-reporter.ts", { outputFile: ".tmp/counts.json" }]]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Reporter, TestCase, TestModule, TestSuite } from "vitest/node";

export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
  /** Failed tests of `failed` that never ran: their file or suite failed in set-up. */
  notRun: number;
  /** Files that failed, each with its first error's message (set-up failures included). */
  failedFiles: Array<{ file: string; error: string }>;
  unhandledErrors: number;
  line: string;
}

/** The first failed ancestor of a test (suite or module) with an error of its own. */
function failedAncestor(test: TestCase): TestSuite | TestModule | undefined {
  let at: TestSuite | TestModule = test.parent;
  for (;;) {
    if (at.state() === "failed" && at.errors().length > 0) return at;
    if (at.type === "module") return undefined;
    at = at.parent;
  }
}

export function countTests(
  modules: ReadonlyArray<TestModule>,
  unhandledErrors: number,
): TestCounts {
  const counts = { passed: 0, failed: 0, skipped: 0, notRun: 0 };
  const failedFiles: TestCounts["failedFiles"] = [];
  for (const module of modules) {
    let moduleFailed = module.state() === "failed";
    let firstError = module.errors()[0]?.message;
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === "passed") counts.passed++;
      else if (state === "failed") counts.failed++;
      else if (test.options.mode === "skip" || test.options.mode === "todo") counts.skipped++;
      else {
        // Meant to run, did not: skipped by ctx.skip(), or left behind by a failed set-up
        // (or a run that ended before it, "pending").
        const cause = failedAncestor(test);
        if (cause === undefined && state === "skipped") counts.skipped++;
        else {
          counts.failed++;
          counts.notRun++;
          moduleFailed = true;
          firstError ??= cause?.errors()[0]?.message ?? "the run ended before it";
        }
      }
    }
    if (moduleFailed)
      failedFiles.push({ file: module.relativeModuleId, error: firstError ?? "a test failed" });
  }
  const setUp =
    counts.notRun > 0 ? ` (${counts.notRun} of them did not run: their set-up failed)` : "";
  const files = failedFiles.length > 0 ? `; failed files: ${failedFiles.length}` : "";
  const unhandled = unhandledErrors > 0 ? `; unhandled errors: ${unhandledErrors}` : "";
  return {
    ...counts,
    failedFiles,
    unhandledErrors,
    line: `${counts.passed} passed, ${counts.failed} failed${setUp}, ${counts.skipped} skipped${files}${unhandled}`,
  };
}

export default class CountReporter implements Reporter {
  readonly #outputFile: string | undefined;

  constructor(options: { outputFile?: string } = {}) {
    this.#outputFile = options.outputFile;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const counts = countTests(modules, unhandledErrors.length);
    for (const { file, error } of counts.failedFiles)
      console.log(`failed: ${file}: ${error.split("\n")[0]}`);
    console.log(`tests: ${counts.line}`);
    if (this.#outputFile !== undefined) {
      mkdirSync(dirname(this.#outputFile), { recursive: true });
      writeFileSync(this.#outputFile, `${JSON.stringify(counts, null, 2)}\n`);
    }
  }
}
