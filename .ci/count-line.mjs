// CI's closing line: the counts from the suite's count reporter (test/setup/count-reporter.ts),
// where a test left unrun by a failed set-up is failed, not skipped. Exits 1 when any test or
// file failed, when no test ran, or when the report is missing (vitest did not finish).
// Usage: node .ci/count-line.mjs <counts.json> [<vitest.json>]
import { existsSync, readFileSync } from "node:fs";

const [countsFile = ".tmp/counts.json", vitestFile = ".tmp/vitest.json"] = process.argv.slice(2);
if (!existsSync(countsFile)) {
  console.error(
    `ci: no test counts in ${countsFile}: the run stopped before vitest finished (typecheck, lint or vitest itself)`,
  );
  process.exit(1);
}
const counts = JSON.parse(readFileSync(countsFile, "utf8"));
for (const { file, error } of counts.failedFiles)
  console.log(`failed: ${file}: ${error.split("\n")[0]}`);
console.log(counts.line);
// vitest's own report, as a cross-check: a suite it counts as failed fails the run too.
const failedSuites = existsSync(vitestFile)
  ? JSON.parse(readFileSync(vitestFile, "utf8")).numFailedTestSuites
  : 0;
if (counts.passed + counts.failed + counts.skipped === 0) {
  console.error("ci: no test ran");
  process.exit(1);
}
if (
  counts.failed > 0 ||
  counts.failedFiles.length > 0 ||
  counts.unhandledErrors > 0 ||
  failedSuites > 0
) {
  if (counts.failed === 0) console.error(`ci: vitest counts ${failedSuites} failed suite(s)`);
  process.exit(1);
}
