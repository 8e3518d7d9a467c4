/**
 * `npm run bundle [-- --project <dir>] [--out <dir>]`: one deployable folder per function,
 * `dist/functions/<cloud>/<function>/`, each with an ESM bundle (minified; nodejs24.x on
 * Lambda, Node 22 on Azure, which runs on 24 too), the registry snapshot of the project
 * (default `examples`) and its payload validators precompiled by Ajv. The project must
 * validate: an invalid registry never reaches a function.
 */
import { copyFile, mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as esbuild from "esbuild";
import { formatDiagnostic, hasErrors } from "../../shared/diagnostics.ts";
import { validateProject } from "../../shared/registry/index.ts";
import {
  type RegistrySnapshot,
  SNAPSHOT_FILE,
  snapshotRegistry,
  VALIDATORS_FILE,
  validatorModuleSource,
} from "../../shared/registry-snapshot/index.ts";
import { buildAsFunction, commonOptions, lazyFileName } from "./esbuild-build.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface FunctionTarget {
  cloud: "aws" | "azure";
  name: string;
  entry: string;
  /** esbuild target: the oldest Node the platform runs it on. */
  node: string;
  external?: string[];
  extraFiles?: Record<string, string>;
  /** Writes the ingress's registry snapshot and validators beside it (default true). */
  registrySnapshot?: boolean;
}

/** An Azure app's host.json and package.json (route prefix empty; `extensions` per app). */
function azureAppFiles(name: string, extensions: Record<string, unknown>): Record<string, string> {
  const hostJson = {
    version: "2.0",
    extensionBundle: { id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.*, 5.0.0)" },
    extensions: { http: { routePrefix: "" }, ...extensions },
  };
  return {
    "host.json": `${JSON.stringify(hostJson, null, 2)}\n`,
    "package.json": `${JSON.stringify({ name, type: "module", main: "index.mjs" }, null, 2)}\n`,
  };
}

/**
 * Provided by Lambda's Node.js runtimes: "All supported Lambda Node.js runtimes include a
 * specific minor version of the AWS SDK for JavaScript v3, not the latest version [...] [it]
 * depends on the runtime version and your AWS Region" (AWS Lambda Developer Guide, "Building
 * Lambda functions with Node.js", Runtime-included SDK versions). Every Lambda here runs on
 * nodejs24.x (infra/aws/functions.ts) and uses only S3 operations every v3 minor has
 * (ListObjectsV2, GetObject with If-Match/If-None-Match, PutObject), so the functions import
 * the runtime's SDK instead of carrying ~590 KB of it. Tests and benches resolve it from the
 * repository's node_modules (the bundles are written inside the repository).
 */
const LAMBDA_RUNTIME_PROVIDES = ["@aws-sdk/*"];

export const FUNCTIONS: FunctionTarget[] = [
  {
    cloud: "aws",
    name: "ingress",
    entry: "functions/aws/ingress/index.ts",
    node: "node24",
    external: LAMBDA_RUNTIME_PROVIDES,
  },
  {
    cloud: "azure",
    name: "ingress",
    entry: "functions/azure/ingress/index.ts",
    node: "node22",
    // Provided by the Functions worker at run time.
    external: ["@azure/functions-core"],
    extraFiles: azureAppFiles("amqp-mesh-ingress", {}),
  },
  // The example team's trigger functions (examples/functions/): one definition each, both clouds.
  {
    cloud: "aws",
    name: "order-invoicing",
    entry: "examples/functions/aws/order-invoicing.ts",
    node: "node24",
    external: LAMBDA_RUNTIME_PROVIDES,
  },
  {
    cloud: "aws",
    name: "invoice-sending",
    entry: "examples/functions/aws/invoice-sending.ts",
    node: "node24",
    external: LAMBDA_RUNTIME_PROVIDES,
  },
  {
    cloud: "azure",
    name: "billing-triggers",
    entry: "examples/functions/azure.ts",
    node: "node22",
    external: ["@azure/functions-core"],
    // Service Bus batches of up to 32 messages; abandoned batches come back (MaxDeliveryCount).
    extraFiles: azureAppFiles("amqp-mesh-billing-triggers", {
      serviceBus: { maxMessageBatchSize: 32, autoCompleteMessages: true },
    }),
  },
  // Config-sync reads the registry from its store at run time: no snapshot beside it.
  {
    cloud: "aws",
    name: "sync",
    entry: "functions/aws/sync/index.ts",
    node: "node24",
    external: LAMBDA_RUNTIME_PROVIDES,
    registrySnapshot: false,
  },
  {
    cloud: "azure",
    name: "sync",
    entry: "functions/azure/sync/index.ts",
    node: "node22",
    external: ["@azure/functions-core"],
    registrySnapshot: false,
    extraFiles: azureAppFiles("amqp-mesh-config-sync", {}),
  },
];

export interface BundleResult {
  target: FunctionTarget;
  dir: string;
  /** Bytes of each file the function loads at start: index.mjs (and its chunks), validators.mjs. */
  sizes: Record<string, number>;
  /**
   * Bytes of each chunk loaded only later, by `import()` (the live registry's store client,
   * Ajv's compiler for a schema not precompiled): not part of the cold start.
   */
  lazySizes: Record<string, number>;
  /** esbuild's metafile of index.mjs: which input contributed how many bytes. */
  metafile: esbuild.Metafile;
  /** The same, of each lazily loaded file. */
  lazyMetafiles: esbuild.Metafile[];
}

/** A build's result as if it had written `to` instead of `from` (its metafile's output key). */
function rebased(result: esbuild.BuildResult, from: string, to: string): esbuild.BuildResult {
  const outputs = Object.fromEntries(
    Object.entries(result.metafile?.outputs ?? {}).map(([file, output]) => [
      resolve(file) === resolve(from) ? to : file,
      output,
    ]),
  );
  return { ...result, metafile: { inputs: result.metafile?.inputs ?? {}, outputs } };
}

async function bundleFunction(
  target: FunctionTarget,
  snapshot: RegistrySnapshot,
  outDir: string,
  lazyBuilt: Map<string, { file: string; result: esbuild.BuildResult }>,
): Promise<BundleResult> {
  const dir = join(outDir, target.cloud, target.name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const lazy = new Set<string>();
  const build = (entry: string, outfile: string) => buildAsFunction(target, entry, outfile, lazy);
  const main = await build(join(root, target.entry), join(dir, "index.mjs"));
  const builds: esbuild.BuildResult[] = [main];
  // What the code imports later with import() (LAZY_MODULES): a file of its own each.
  const lazyBuilds: esbuild.BuildResult[] = [];
  // Only those index.mjs still imports (an import() that tree shaking dropped needs no file).
  const imported = new Set(
    Object.values(main.metafile?.outputs ?? {}).flatMap((o) =>
      o.imports.filter((i) => i.kind === "dynamic-import" && i.external).map((i) => i.path),
    ),
  );
  for (const entry of [...lazy].filter((e) => imported.has(`./${lazyFileName(e)}`))) {
    // The same lazy file for every function of a platform: built once, copied beside the others.
    const file = join(dir, lazyFileName(entry));
    const key = `${entry}\n${target.node}\n${(target.external ?? []).join(",")}`;
    const built = lazyBuilt.get(key);
    if (built === undefined) {
      const result = await build(entry, file);
      lazyBuilt.set(key, { file, result });
      lazyBuilds.push(result);
    } else {
      await copyFile(built.file, file);
      lazyBuilds.push(rebased(built.result, built.file, file));
    }
  }
  if (target.registrySnapshot !== false) {
    builds.push(
      await esbuild.build({
        ...commonOptions(target),
        stdin: {
          contents: validatorModuleSource(snapshot),
          resolveDir: root,
          sourcefile: "validators.mjs",
        },
        outfile: join(dir, VALIDATORS_FILE),
      }),
    );
    await writeFile(join(dir, SNAPSHOT_FILE), `${JSON.stringify(snapshot)}\n`);
  }
  for (const [name, text] of Object.entries(target.extraFiles ?? {}))
    await writeFile(join(dir, name), text);
  const sizeOf = (results: esbuild.BuildResult[]) => {
    const sizes: Record<string, number> = {};
    for (const result of results)
      for (const [file, output] of Object.entries(result.metafile?.outputs ?? {}))
        sizes[relative(dir, resolve(file))] = output.bytes;
    return sizes;
  };
  return {
    target,
    dir,
    sizes: sizeOf(builds),
    lazySizes: sizeOf(lazyBuilds),
    metafile: main.metafile as esbuild.Metafile,
    lazyMetafiles: lazyBuilds.map((b) => b.metafile as esbuild.Metafile),
  };
}

/** Validates the project and bundles every function; undefined when the project is invalid. */
export async function bundleFunctions(
  projectDir: string,
  outDir: string,
  log: (line: string) => void = console.log,
): Promise<BundleResult[] | undefined> {
  const { registry, diagnostics } = await validateProject(projectDir);
  for (const d of diagnostics) if (d.severity === "error") log(formatDiagnostic(d));
  if (hasErrors(diagnostics) || registry === undefined) return undefined;
  const snapshot = snapshotRegistry(registry);
  const results: BundleResult[] = [];
  const lazyBuilt = new Map<string, { file: string; result: esbuild.BuildResult }>();
  for (const target of FUNCTIONS)
    results.push(await bundleFunction(target, snapshot, outDir, lazyBuilt));
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { project: { type: "string" }, out: { type: "string" } },
    strict: true,
  });
  const project = resolve(values.project ?? "examples");
  const out = resolve(values.out ?? "dist/functions");
  const results = await bundleFunctions(project, out);
  if (results === undefined) {
    console.error(`bundle: ${project} is invalid; nothing bundled`);
    process.exit(1);
  }
  for (const r of results) {
    const total = Object.values(r.sizes).reduce((a, b) => a + b, 0);
    const files = Object.entries(r.sizes)
      .map(([f, b]) => `${f} ${(b / 1024).toFixed(1)} KB`)
      .join(", ");
    const later = Object.entries(r.lazySizes)
      .map(([f, b]) => `${f} ${(b / 1024).toFixed(1)} KB`)
      .join(", ");
    console.log(
      `${relative(process.cwd(), r.dir)}: ${(total / 1024).toFixed(1)} KB (${files})` +
        (later === "" ? "" : `; loaded later, by import(): ${later}`),
    );
  }
}
