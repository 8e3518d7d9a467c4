// CI's closing line: the counts of every suite run, from the count reporter
// (test/setup/count-reporter.ts), where a test left unrun by a failed set-up is failed, not
// skipped. Exits 1 when any test or file failed, when no test ran, or when a report is missing
// (that suite's vitest did not finish).
// Usage: node .ci/count-line.mjs <counts.json>[:<vitest.json>] ...
import { existsSync, readFileSync } from "node:fs";

const suites = process.argv.slice(2);
if (suites.length === 0) suites.push(".tmp/counts.json:.tmp/vitest.json");
const total = { passed: 0, failed: 0, skipped: 0 };
let bad = false;
for (const suite of suites) {
  const [countsFile, vitestFile] = suite.split(":");
  if (!existsSync(countsFile)) {
    console.error(
      `ci: no test counts in ${countsFile}: the run stopped before vitest finished (typecheck, lint or vitest itself)`,
    );
    bad = true;
    continue;
  }
  const counts = JSON.parse(readFileSync(countsFile, "utf8"));
  for (const { file, error } of counts.failedFiles)
    console.log(`failed: ${file}: ${error.split("\n")[0]}`);
  console.log(`${countsFile}: ${counts.line}`);
  total.passed += counts.passed;
  total.failed += counts.failed;
  total.skipped += counts.skipped;
  // vitest's own report, as a cross-check: a suite it counts as failed fails the run too.
  const failedSuites =
    vitestFile !== undefined && existsSync(vitestFile)
      ? JSON.parse(readFileSync(vitestFile, "utf8")).numFailedTestSuites
      : 0;
  if (failedSuites > 0 && counts.failed === 0)
    console.error(`ci: vitest counts ${failedSuites} failed suite(s) in ${vitestFile}`);
  if (
    counts.failed > 0 ||
    counts.failedFiles.length > 0 ||
    counts.unhandledErrors > 0 ||
    failedSuites > 0
  )
    bad = true;
}
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
if (total.passed + total.failed + total.skipped === 0) {
  console.error("ci: no test ran");
  process.exit(1);
}
if (bad) process.exit(1);
