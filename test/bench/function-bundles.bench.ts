/**
 * The deployed functions' weight: each bundle `npm run bundle` writes (index.mjs plus the
 * precompiled validators it loads), and its import + init time in a fresh Node process
 * against bare `node -e 0` measured in the same run (interleaved, median):
 *
 *   node test/bench/function-bundles.bench.ts [runs]
 *
 * Init includes reading the settings, the registry snapshot and the validators, building
 * the ingress and starting the AMQP connect (to a closed port: the process exits right
 * after init). Goals: ≤ 250 KB per function; import + init ≤ 30 ms over bare node.
 */
import { spawnSync } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { bundleFunctions } from "../../functions/bundle.ts";
import { newApiKey } from "../../shared/ingress/index.ts";

const RUNS = Number(process.argv[2] ?? 15);
const BUDGET_KB = 250;
const out = join(process.cwd(), ".tmp", "bench-bundles");
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const results = await bundleFunctions("examples", out, (line) => console.error(line));
if (results === undefined) throw new Error("examples are invalid");

const env = {
  PATH: process.env.PATH ?? "",
  MESH_URLS: "amqp://127.0.0.1:1",
  INGRESS_API_KEYS: JSON.stringify([newApiKey("sales-api").entry]),
  POWERTOOLS_METRICS_DISABLED: "true",
};

/** Wall time of one node process running `args`, in ms. */
function timeNode(args: string[]): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`node ${args.join(" ")} failed: ${run.stderr}`);
  return ms;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

for (const result of results) {
  const kb = Object.values(result.sizes).reduce((a, b) => a + b, 0) / 1024;
  const entry = join(result.dir, "index.mjs");
  const script = `await import(${JSON.stringify(entry)}); process.exit(0);`;
  const bare: number[] = [];
  const loaded: number[] = [];
  timeNode(["--input-type=module", "-e", script]); // warm the file cache
  for (let i = 0; i < RUNS; i++) {
    bare.push(timeNode(["-e", "0"]));
    loaded.push(timeNode(["--input-type=module", "-e", script]));
  }
  const b = median(bare);
  const l = median(loaded);
  const files = Object.entries(result.sizes)
    .map(([f, bytes]) => `${f} ${(bytes / 1024).toFixed(1)} KB`)
    .join(" + ");
  console.log(
    `${result.target.cloud}/${result.target.name}: ${kb.toFixed(1)} KB (${files}; goal ≤ ${BUDGET_KB} KB: ${kb <= BUDGET_KB ? "met" : "missed"}); ` +
      `import + init ${l.toFixed(1)} ms vs node -e 0 ${b.toFixed(1)} ms: +${(l - b).toFixed(1)} ms, ratio ${(l / b).toFixed(2)}× ` +
      `(goal ≤ +30 ms: ${l - b <= 30 ? "met" : "missed"})`,
  );
}
await rm(out, { recursive: true, force: true });
