/**
 * The images built here from local parts, no image registry needed: a Debian base made with
 * `debootstrap --variant=minbase bookworm` and imported into podman (kept between runs: built
 * once per machine), the trigger bridge on it (Node from the `node` npm package, the CLI as one
 * esbuild bundle, the project's registry), and one router image per router product, which
 * COPIES AN EXISTING ROUTER BUILD from this machine (the install prefix of the `qdrouterd` or
 * `skrouterd` on PATH) onto the base with the Debian packages of the libraries it links. This
 * builds no router; the router images exist only where the routers were built.
 */
import { execFile, spawn } from "node:child_process";
import { cp, mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import * as esbuild from "esbuild";
import { findPodman, PODMAN_INSTALL_HINT, PodmanError } from "./podman.ts";

const ROOT = resolve(import.meta.dirname, "../..");

export const BASE_IMAGE = "localhost/amqp-mesh-base:bookworm";
export const BRIDGE_IMAGE = "localhost/amqp-mesh-bridge:local";
export type RouterProduct = "qdrouterd" | "skrouterd";
export const routerImage = (product: RouterProduct) => `localhost/amqp-mesh-router:${product}`;

type Log = (line: string) => void;

function exec(command: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) resolvePromise(stdout);
      else
        reject(
          new PodmanError(
            `${command} ${args[0] ?? ""} failed: ${String(stderr).trim().split("\n").slice(-3).join(" / ") || error.message}`,
          ),
        );
    });
  });
}

export async function imageExists(name: string): Promise<boolean> {
  const podman = await findPodman();
  try {
    await podman.run(["image", "exists", name]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Debian base image, made once per machine (about 25 s) and kept in podman's image store:
 * later calls find it and return at once.
 */
export async function ensureBaseImage(log: Log = () => {}): Promise<string> {
  if (await imageExists(BASE_IMAGE)) return BASE_IMAGE;
  const podman = await findPodman();
  const dir = await mkdtemp(join(tmpdir(), "amqp-mesh-base-"));
  try {
    log(`building ${BASE_IMAGE}: debootstrap --variant=minbase bookworm`);
    await exec("debootstrap", ["--variant=minbase", "bookworm", dir]).catch((error: unknown) => {
      throw (error as NodeJS.ErrnoException).code === "ENOENT"
        ? new PodmanError(`the base image needs debootstrap: ${PODMAN_INSTALL_HINT}`)
        : error;
    });
    await new Promise<void>((resolvePromise, reject) => {
      const tar = spawn("tar", ["-C", dir, "-c", "."], { stdio: ["ignore", "pipe", "inherit"] });
      const importer = podman.spawn(["import", "-", BASE_IMAGE], {
        stdio: ["pipe", "ignore", "pipe"],
      });
      let stderr = "";
      importer.stderr?.on("data", (d) => {
        stderr += d;
      });
      tar.stdout?.pipe(importer.stdin!);
      importer.on("error", reject);
      importer.on("exit", (code) =>
        code === 0
          ? resolvePromise()
          : reject(new PodmanError(`podman import failed: ${stderr.trim().slice(-400)}`)),
      );
    });
    return BASE_IMAGE;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The Node binary of the `node` npm package (24, as Lambda's nodejs24.x; the machine's may be older). */
export function nodeBinary(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("node/package.json")), "bin", "node");
}

/** esbuild's ESM output calls require() for CommonJS packages' built-ins. */
const REQUIRE_BANNER =
  'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);';

/** Packages the CLI loads at run time by a path esbuild cannot see. */
const RUNTIME_REQUIRED = ["rhea"];

/** `names` and every package they depend on, from the installed package.json files. */
async function withDependencies(names: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  const visit = async (name: string): Promise<void> => {
    if (found.has(name)) return;
    found.add(name);
    const manifest = JSON.parse(
      await readFile(join(ROOT, "node_modules", name, "package.json"), "utf8"),
    ) as { dependencies?: Record<string, string> };
    for (const dependency of Object.keys(manifest.dependencies ?? {})) await visit(dependency);
  };
  for (const name of names) await visit(name);
  return [...found];
}

/**
 * The bridge image: the base, Node, the CLI bundled into one file, the entrypoint that turns
 * the environment into the bridge's command line, and the project (its registry decides
 * which channels exist).
 */
export async function buildBridgeImage(
  options: { project?: string; tag?: string; log?: Log } = {},
): Promise<string> {
  const log = options.log ?? (() => {});
  const tag = options.tag ?? BRIDGE_IMAGE;
  const podman = await findPodman();
  await ensureBaseImage(log);
  const context = await mkdtemp(join(tmpdir(), "amqp-mesh-bridge-image-"));
  try {
    await cp(nodeBinary(), join(context, "node"));
    await esbuild.build({
      entryPoints: [join(ROOT, "cli/bin.js")],
      outfile: join(context, "app/cli.mjs"),
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node24",
      banner: { js: REQUIRE_BANNER },
      // Only the Azure Functions worker provides it; the bridge never loads it.
      external: ["@azure/functions-core"],
      logLevel: "silent",
    });
    // The emulator reads rhea's frame codec with createRequire, which no bundler follows.
    for (const pkg of await withDependencies(RUNTIME_REQUIRED))
      await cp(join(ROOT, "node_modules", pkg), join(context, "app/node_modules", pkg), {
        recursive: true,
      });
    // Started through a second file: modules that run themselves when they are the script node
    // was given (`import.meta.url === argv[1]`) would all be "the script" inside one bundle.
    await writeFile(join(context, "app/main.mjs"), 'import "./cli.mjs";\n');
    await cp(resolve(ROOT, options.project ?? "examples"), join(context, "app/project"), {
      recursive: true,
      filter: (source) => !source.includes("node_modules"),
    });
    await cp(join(ROOT, "infra/bridge/entrypoint.sh"), join(context, "app/entrypoint.sh"));
    await cp(join(ROOT, "infra/bridge/Dockerfile"), join(context, "Dockerfile"));
    log(`building ${tag}`);
    await podman.run([
      "build",
      "--network",
      "host",
      "--build-arg",
      `BASE=${BASE_IMAGE}`,
      "-t",
      tag,
      "-f",
      join(context, "Dockerfile"),
      context,
    ]);
    return tag;
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

export interface RouterBuild {
  product: RouterProduct;
  /** The binary as installed (the real path, not a PATH link). */
  binary: string;
  /** The install prefix (the binary's folder's parent), copied whole into the image. */
  prefix: string;
  /** Debian packages of the shared libraries it links, and the SASL plugins it loads. */
  packages: string[];
}

/** The router build on this machine: where it is installed and what it needs (from ldd). */
export async function findRouterBuild(product: RouterProduct): Promise<RouterBuild> {
  const onPath = await exec("sh", ["-c", `command -v ${product}`]).catch(() => "");
  if (onPath.trim() === "")
    throw new PodmanError(
      `the ${product} image copies the ${product} built on this machine, and there is none on PATH`,
    );
  const binary = await realpath(onPath.trim());
  const prefix = dirname(dirname(binary));
  const libraries = (await exec("ldd", [binary]))
    .split("\n")
    .map((line) => /=>\s*(\/\S+)/.exec(line)?.[1])
    .filter((path): path is string => path !== undefined && !path.startsWith(`${prefix}/`));
  const packages = new Set(["libsasl2-modules", "libsasl2-modules-db"]);
  for (const library of libraries) {
    const owner = await exec("dpkg", ["-S", await realpath(library)]).catch(() =>
      exec("dpkg", ["-S", library]),
    );
    const name = owner.split(":")[0]?.trim();
    if (name) packages.add(name);
  }
  return { product, binary, prefix, packages: [...packages].sort() };
}

/**
 * The router image of `product`: the base, the Debian packages of its libraries, the existing
 * build copied at its own prefix (its Python modules are found there), the deploy's entrypoint.
 */
export async function buildRouterImage(
  product: RouterProduct,
  options: { log?: Log } = {},
): Promise<string> {
  const log = options.log ?? (() => {});
  const podman = await findPodman();
  const build = await findRouterBuild(product);
  await ensureBaseImage(log);
  const tag = routerImage(product);
  const context = await mkdtemp(join(tmpdir(), `amqp-mesh-${product}-image-`));
  try {
    await cp(build.prefix, join(context, "router"), { recursive: true, verbatimSymlinks: true });
    await cp(join(ROOT, "infra/router/entrypoint.sh"), join(context, "entrypoint.sh"));
    const containerfile = await readFile(join(ROOT, "infra/router/Containerfile"), "utf8");
    await writeFile(join(context, "Containerfile"), containerfile);
    log(`building ${tag} from ${build.prefix} (packages: ${build.packages.join(" ")})`);
    await podman.run([
      "build",
      "--network",
      "host",
      "--build-arg",
      `BASE=${BASE_IMAGE}`,
      "--build-arg",
      `PREFIX=${build.prefix}`,
      "--build-arg",
      `PACKAGES=${build.packages.join(" ")}`,
      "--build-arg",
      `ROUTER=${product}`,
      "-t",
      tag,
      "-f",
      join(context, "Containerfile"),
      context,
    ]);
    return tag;
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

/** The router image, built from this machine's router when it is not there yet. */
export async function ensureRouterImage(product: RouterProduct, log: Log = () => {}) {
  const tag = routerImage(product);
  if (!(await imageExists(tag))) await buildRouterImage(product, { log });
  return tag;
}
