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

/** shared/ modules have no import-time side effects: lets esbuild drop the ones not used. */
const sharedIsPure: esbuild.Plugin = {
  name: "shared-is-pure",
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, async (args) => {
      if (args.pluginData?.resolving) return undefined;
      const result = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: { resolving: true },
      });
      if (result.errors.length > 0) return result;
      const inShared = result.path.startsWith(`${join(root, "shared")}/`);
      return inShared ? { ...result, sideEffects: false } : result;
    });
  },
};

/**
 * Node built-ins imported from ESM code are read through require(): an ESM import of a
 * built-in makes Node build its ESM facade, which reads every export and so runs lazy
 * getters (`util.TextDecoder`, `fs.ReadStream`, ...) that load yet more built-ins — ~5 ms of a
 * cold start. Through require, each export is read when it is used; and a built-in imported
 * but not used (node:http in @middy/util, for a function left out) is not loaded at all.
 */
const builtinsThroughRequire: esbuild.Plugin = {
  name: "builtins-through-require",
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === "import-statement" && args.path !== "node:module"
        ? { path: args.path, namespace: "builtin", sideEffects: false }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: "js",
    }));
  },
};

/**
 * Powertools idempotency's JMESPath engine (22.7 KB) replaced by substitutes/jmespath-fields.ts,
 * which reads the field path the triggers' guard names (`key`) and refuses anything else.
 */
const JMESPATH_FIELDS = join(root, "tools/bundle/substitutes/jmespath-fields.ts");
const jmespathFields: esbuild.Plugin = {
  name: "jmespath-fields",
  setup(build) {
    build.onResolve({ filter: /^@aws-lambda-powertools\/jmespath(\/functions)?$/ }, () => ({
      path: JMESPATH_FIELDS,
    }));
  },
};

/**
 * One Powertools commons for all Powertools packages: idempotency 2.35.0 pins commons 2.35.0
 * (there is no idempotency 2.36), logger and metrics 2.36.0 pin 2.36.0; bundled as installed,
 * a queued trigger carries both. Every import of commons resolves from the repository root.
 */
const oneCommons: esbuild.Plugin = {
  name: "one-powertools-commons",
  setup(build) {
    build.onResolve({ filter: /^@aws-lambda-powertools\/commons(\/|$)/ }, async (args) => {
      if (args.pluginData?.resolving) return undefined;
      return build.resolve(args.path, {
        kind: args.kind,
        resolveDir: root,
        pluginData: { resolving: true },
      });
    });
  },
};

/**
 * `@azure/functions` from the TypeScript sources its package ships (`src/`) instead of its
 * `main`, one CommonJS webpack build of the whole library (72.6 KB minified, of which the
 * MCP triggers, HTTP streaming's proxy and the hooks an app without them never runs): as ES
 * modules esbuild keeps only what the app's registrations reach. Its
 * `@azure/functions-extensions-base` is read through its CommonJS build (the package's `.mjs`
 * is CommonJS too). Its HTTP streaming proxy, reached only after
 * `app.setup({ enableHttpStream: true })`, is replaced by substitutes/azure-no-http-stream.ts.
 */
const AZURE_FUNCTIONS_SRC = join(root, "node_modules/@azure/functions/src/index.ts");
const NO_HTTP_STREAM = join(root, "tools/bundle/substitutes/azure-no-http-stream.ts");
const azureFunctionsFromSource: esbuild.Plugin = {
  name: "azure-functions-from-source",
  setup(build) {
    build.onResolve({ filter: /^@azure\/functions$/ }, () => ({ path: AZURE_FUNCTIONS_SRC }));
    build.onResolve({ filter: /\/httpProxy$/ }, (args) =>
      /node_modules\/@azure\/functions\/src\//.test(args.importer)
        ? { path: NO_HTTP_STREAM }
        : undefined,
    );
    build.onResolve({ filter: /^@azure\/functions-extensions-base$/ }, async (args) => {
      if (args.pluginData?.resolving) return undefined;
      return build.resolve(args.path, {
        kind: "require-call",
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: { resolving: true },
      });
    });
  },
};

/**
 * Modules a function imports only later, with import(): the live registry's store clients
 * (the S3 and Blob SDKs), Ajv's compiler (for a schema published after the deploy) and jose. Each
 * is written as a file of its own beside index.mjs, which imports it by that name: the cold
 * start neither reads nor parses them.
 */
const LAZY_MODULES = new Set(
  [
    "functions/aws/registry-store.ts",
    // The Secrets Manager client, read once at init in AWS only (MESH_SASL_PASSWORD_SECRET).
    "functions/aws/secrets-client.ts",
    "functions/azure/registry-store.ts",
    "shared/registry-snapshot/schema-compiler.ts",
    // jose, for an ingress that accepts JWTs: auth.ts imports it only then.
    "shared/ingress/jwt.ts",
  ].map((f) => join(root, f)),
);

function lazyFileName(entry: string): string {
  const cloud = /functions\/(aws|azure)\//.exec(entry)?.[1];
  const name = entry.split("/").at(-1)?.replace(/\.ts$/, "") ?? "lazy";
  return `${cloud === undefined ? name : `${cloud}-${name}`}.mjs`;
}

/** import() of a LAZY_MODULES file: left to run time, by its file name; `found` collects them. */
function lazyModules(found: Set<string>): esbuild.Plugin {
  return {
    name: "lazy-modules",
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.kind !== "dynamic-import") return undefined;
        const file = resolve(args.resolveDir, args.path);
        if (!LAZY_MODULES.has(file)) return undefined;
        found.add(file);
        return { path: `./${lazyFileName(file)}`, external: true };
      });
    },
  };
}

// CommonJS dependencies (rhea) call require() for node built-ins, which ESM has not.
const REQUIRE_BANNER =
  'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);';

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

function commonOptions(target: Pick<FunctionTarget, "node">): esbuild.BuildOptions {
  return {
    bundle: true,
    minify: true,
    format: "esm",
    platform: "node",
    target: target.node,
    banner: { js: REQUIRE_BANNER },
    legalComments: "none",
    logLevel: "warning",
    metafile: true,
  };
}

/**
 * esbuild as it builds a function of `target`'s cloud: the same options and plugins; `lazy`
 * collects the LAZY_MODULES it left to import(). Also used by the bundles bench for the
 * dependencies-only floor of a cold start.
 */
export function buildAsFunction(
  target: Pick<FunctionTarget, "cloud" | "node" | "external">,
  entry: string,
  outfile: string,
  lazy: Set<string> = new Set(),
): Promise<esbuild.BuildResult> {
  return esbuild.build({
    ...commonOptions(target),
    entryPoints: [entry],
    outfile,
    external: target.external ?? [],
    alias: { debug: join(root, "tools/bundle/substitutes/no-debug.cjs") },
    plugins: [
      sharedIsPure,
      builtinsThroughRequire,
      jmespathFields,
      oneCommons,
      ...(target.cloud === "azure" ? [azureFunctionsFromSource] : []),
      lazyModules(lazy),
    ],
  });
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
