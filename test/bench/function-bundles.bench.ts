/**
 * The deployed functions' weight: each bundle `npm run bundle` writes (index.mjs, whose size
 * the goal counts, and the precompiled validators it loads), its largest parts (esbuild's metafile), and its import +
 * init time in a fresh Node process against bare `node -e 0` measured in the same run
 * (interleaved, median):
 *
 *   node test/bench/function-bundles.bench.ts [runs]
 *
 * Init includes reading the settings, the registry snapshot and the validators, building
 * the ingress and starting the AMQP connect (to a closed port: the process exits right
 * after init). Two clocks: wall time (the goal's), and the CPU time the process used (user +
 * system, all threads), which a machine shared with other work disturbs much less — the load
 * average is printed with the figures. Goals: ≤ 250 KB per function and import + init ≤ 30 ms
 * over bare node; config-sync ≤ 600 KB and ≤ 80 ms (issue 19). For the functions that read
 * the registry live, also: init with a store named, and the CPU of what is loaded later by
 * import() (the store client and its first read; Ajv's compiler and one schema), off the
 * cold start. For the ingresses, also their cold-start floor: their dependencies alone
 * (`cold-start-floor/<cloud>.ts`, built as a function is), so that what amqp-mesh's own code
 * adds shows apart.
 */
import { spawnSync } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Metafile } from "esbuild";
import { newApiKey } from "../../shared/ingress/index.ts";
import { bundleFunctions } from "../../tools/bundle/bundle.ts";
import { buildAsFunction } from "../../tools/bundle/esbuild-build.ts";
import { type Figure, recordResults } from "./results.ts";

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
  // config-sync's settings (its bundles refuse to start without them); nothing listens there.
  SYNC_ROUTER_URLS: "amqp://127.0.0.1:1",
  SYNC_BUCKET: "registry",
  AWS_REGION: "eu-west-1",
  SYNC_BLOB_CONNECTION_STRING:
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;",
  SYNC_BLOB_CONTAINER: "registry",
};

// The child prints the CPU time it used, as its last act.
const CPU_USED =
  "const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000));";

/** Wall time of one node process running `script` (an ES module), and the CPU time it used, in ms. */
function timeNode(
  script: string,
  extraEnv: Record<string, string> = {},
): { wall: number; cpu: number } {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...env, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`node failed: ${run.stderr}`);
  return { wall, cpu: Number(run.stdout) };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

/** The largest parts of index.mjs: packages, and shared/ and functions/ folders. */
function largestParts(metafile: Metafile, count: number): string {
  const parts = new Map<string, number>();
  for (const output of Object.values(metafile.outputs))
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1];
      const part = pkg ?? file.split("/").slice(0, 2).join("/");
      parts.set(part, (parts.get(part) ?? 0) + bytesInOutput);
    }
  return [...parts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([part, bytes]) => `${part} ${(bytes / 1024).toFixed(1)}`)
    .join(", ");
}

/** The dependencies-only floor of a cloud's ingress, built as its functions are; the script importing it. */
async function floorOf(target: { cloud: "aws" | "azure"; node: string; external?: string[] }) {
  const file = join(out, `floor-${target.cloud}`, "index.mjs");
  await buildAsFunction(
    target,
    fileURLToPath(new URL(`./cold-start-floor/${target.cloud}.ts`, import.meta.url)),
    file,
  );
  return `await import(${JSON.stringify(file)}); ${CPU_USED} process.exit(0);`;
}

/** config-sync's bundles carry the S3/Blob SDKs, YAML, Ajv and the generator: goals of their own. */
const SYNC_BUDGET_KB = 600;
const SYNC_INIT_MS = 80;
const INIT_MS = 30;
const budgets = (name: string): { kb: number; initMs: number } =>
  name === "sync"
    ? { kb: SYNC_BUDGET_KB, initMs: SYNC_INIT_MS }
    : { kb: BUDGET_KB, initMs: INIT_MS };
const sizeGoal = (name: string, kb: number): string =>
  `goal ≤ ${budgets(name).kb} KB: ${kb <= budgets(name).kb ? "met" : "missed"}`;
const figures: Figure[] = [];

console.log(`load average at start: ${load()} (${RUNS} runs each)`);
for (const result of results) {
  // The goal counts index.mjs (issue 19); validators.mjs is the project's, not the function's.
  const kb = (result.sizes["index.mjs"] ?? 0) / 1024;
  const entry = join(result.dir, "index.mjs");
  const loadedScript = `await import(${JSON.stringify(entry)}); ${CPU_USED} process.exit(0);`;
  const bare: { wall: number; cpu: number }[] = [];
  const loaded: { wall: number; cpu: number }[] = [];
  // The ingresses: also their dependencies alone, built the same way (cold-start-floor/).
  const floorScript = result.target.name === "ingress" ? await floorOf(result.target) : undefined;
  const floor: { wall: number; cpu: number }[] = [];
  timeNode(loadedScript); // warm the file cache
  if (floorScript !== undefined) timeNode(floorScript);
  for (let i = 0; i < RUNS; i++) {
    bare.push(timeNode(CPU_USED));
    loaded.push(timeNode(loadedScript));
    if (floorScript !== undefined) floor.push(timeNode(floorScript));
  }
  const b = median(bare.map((r) => r.wall));
  const l = median(loaded.map((r) => r.wall));
  const bCpu = median(bare.map((r) => r.cpu));
  const lCpu = median(loaded.map((r) => r.cpu));
  const files = Object.entries(result.sizes)
    .map(([f, bytes]) => `${f} ${(bytes / 1024).toFixed(1)} KB`)
    .join(" + ");
  console.log(
    `${result.target.cloud}/${result.target.name}: index.mjs ${kb.toFixed(1)} KB (loaded at start: ${files}; ${sizeGoal(result.target.name, kb)}); ` +
      `import + init ${l.toFixed(1)} ms vs node -e 0 ${b.toFixed(1)} ms: +${(l - b).toFixed(1)} ms, ratio ${(l / b).toFixed(2)}× ` +
      `(goal ≤ +${budgets(result.target.name).initMs} ms: ${l - b <= budgets(result.target.name).initMs ? "met" : "missed"}); CPU ${lCpu.toFixed(1)} ms vs ${bCpu.toFixed(1)} ms: +${(lCpu - bCpu).toFixed(1)} ms`,
  );
  const name = `${result.target.cloud}/${result.target.name}`;
  figures.push(
    {
      what: `${name} bundle index.mjs`,
      value: kb,
      unit: "KB",
      baseline: `loaded at start: ${files}`,
      goal: { op: "<=", value: budgets(result.target.name).kb },
    },
    {
      what: `${name} import + init over node -e 0 (wall)`,
      value: l - b,
      unit: "ms",
      baseline: `${l.toFixed(1)} ms vs ${b.toFixed(1)} ms; CPU +${(lCpu - bCpu).toFixed(1)} ms`,
      goal: { op: "<=", value: budgets(result.target.name).initMs },
    },
  );
  if (floor.length > 0) {
    const f = median(floor.map((r) => r.wall));
    console.log(
      `  its dependencies alone (test/bench/cold-start-floor/${result.target.cloud}.ts): import + init +${(f - b).toFixed(1)} ms over bare node; amqp-mesh's own code +${(l - f).toFixed(1)} ms`,
    );
    figures.push({
      what: `${name} dependencies alone: import + init over node -e 0 (wall)`,
      value: f - b,
      unit: "ms",
      baseline: `the bundle +${(l - b).toFixed(1)} ms; amqp-mesh's own code +${(l - f).toFixed(1)} ms`,
    });
  }
  console.log(`  largest parts of index.mjs (KB): ${largestParts(result.metafile, 8)}`);
  // The live registry: init with a store named (the first read runs after init, so the
  // process, which exits right after import, pays only for setting it up), and what is paid
  // later, once per execution environment, off the cold start: importing the store client
  // and one read of the store (to a closed port here: the SDK's set-up, not the network),
  // and Ajv's compiler with one schema compiled (only when a new schema is published).
  // (config-sync loads its secrets client lazily but reads no live registry: skipped here.)
  const lazy = Object.entries(result.lazySizes);
  const storeFile = lazy.find(([f]) => f.endsWith("registry-store.mjs"))?.[0];
  if (storeFile === undefined) continue;
  const storeEnv: Record<string, string> =
    result.target.cloud === "aws"
      ? { REGISTRY_BUCKET: "registry", AWS_ENDPOINT_URL_S3: "http://127.0.0.1:1" }
      : {
          REGISTRY_BLOB_CONTAINER: "registry",
          REGISTRY_BLOB_CONNECTION_STRING: env.SYNC_BLOB_CONNECTION_STRING,
        };
  const liveInit: number[] = [];
  const liveCpu: number[] = [];
  const later: number[] = [];
  const compile: number[] = [];
  const readScript =
    result.target.cloud === "aws"
      ? `const m = await import(${JSON.stringify(join(result.dir, storeFile))}); await m.s3SnapshotStoreFromEnv(process.env).read().catch(() => {});`
      : `const m = await import(${JSON.stringify(join(result.dir, storeFile))}); await m.blobSnapshotStoreFromEnv(process.env).read().catch(() => {});`;
  const compileScript = `const m = await import(${JSON.stringify(join(result.dir, "schema-compiler.mjs"))}); m.compileSchema({ type: "object", required: ["orderId"], properties: { orderId: { type: "string", minLength: 1 }, lines: { type: "array", items: { type: "object" } } } });`;
  for (let i = 0; i < Math.max(5, Math.floor(RUNS / 2)); i++) {
    const withStore = timeNode(loadedScript, storeEnv);
    liveInit.push(withStore.wall);
    liveCpu.push(withStore.cpu);
    later.push(timeNode(`${readScript} ${CPU_USED} process.exit(0);`, storeEnv).cpu);
    compile.push(timeNode(`${compileScript} ${CPU_USED} process.exit(0);`).cpu);
  }
  const bareCpu = bCpu;
  console.log(
    `  with a store named: import + init ${median(liveInit).toFixed(1)} ms (+${(median(liveInit) - b).toFixed(1)} over bare), CPU +${(median(liveCpu) - bareCpu).toFixed(1)} ms; ` +
      `later, off the cold start (CPU over bare node): store client + first read +${(median(later) - bareCpu).toFixed(1)} ms, ` +
      `Ajv's compiler + one schema +${(median(compile) - bareCpu).toFixed(1)} ms; files loaded later: ` +
      lazy.map(([f, bytes]) => `${f} ${(bytes / 1024).toFixed(1)} KB`).join(", "),
  );
}
console.log(`load average at end: ${load()}`);
await recordResults({
  bench: "function-bundles",
  setup: [
    `the bundles of \`npm run bundle\` for the example project; import + init: median of ${RUNS} fresh Node processes, interleaved with bare \`node -e 0\``,
  ],
  figures,
});
await rm(out, { recursive: true, force: true });
