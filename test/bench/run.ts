/**
 * Runs every benchmark in this folder (`*.bench.ts`), one after another in its own process
 * so that they do not share a heap or an event loop. `npm run bench [-- name-filter]`. Each
 * bench records its figures (results.ts); the table `test/bench/results.md` is then written
 * from every bench's last recorded run (report.ts).
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const filter = process.argv[2] ?? "";
const benches = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts") && f.includes(filter))
  .sort();
if (benches.length === 0) {
  console.error(`bench: no *.bench.ts in ${here} matches '${filter}'`);
  process.exit(2);
}
let failed = 0;
for (const bench of benches) {
  console.log(`\n=== ${bench}`);
  const result = spawnSync(process.execPath, [`${here}${bench}`], { stdio: "inherit" });
  if (result.status !== 0) {
    failed++;
    console.error(`bench: ${bench} exited with ${result.status ?? result.signal}`);
  }
}
// The table covers every bench's last recorded run (this one's where it ran).
const { writeResultsTable } = await import("./report.ts");
console.log(`\nbench: results table written to ${await writeResultsTable()}`);
process.exit(failed === 0 ? 0 : 1);
