/**
 * How esbuild builds a function: its options (ESM, minified, the require banner) and the
 * plugins that keep a bundle small — shared/ marked pure, node built-ins through require,
 * Powertools' JMESPath engine and commons, @azure/functions from its sources, and the
 * modules a function imports only later (LAZY_MODULES), each a file of its own.
 * `buildAsFunction` is the one entry; bundle.ts and the bundles bench use it.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** What the build needs to know of a function target (bundle.ts's FunctionTarget). */
export interface BuildTarget {
  cloud: "aws" | "azure";
  /** esbuild target: the oldest Node the platform runs it on. */
  node: string;
  external?: string[];
}

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

export function lazyFileName(entry: string): string {
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

export function commonOptions(target: Pick<BuildTarget, "node">): esbuild.BuildOptions {
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
  target: BuildTarget,
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
