/**
 * infra/bridge/Dockerfile cannot be built here (no Docker), so it is held to what the bridge
 * needs at run time: every source folder the CLI imports is copied into the image, and every
 * package it imports is a dependency (the image installs with --omit=dev).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../../..");
/** debug (rhea's) requires supports-color inside a try: absent, it prints without colours. */
const OPTIONAL = new Set(["supports-color", "has-flag"]);

async function importedByCli(): Promise<{ folders: Set<string>; packages: Set<string> }> {
  const result = await esbuild.build({
    entryPoints: [join(ROOT, "cli/bin.js")],
    bundle: true,
    platform: "node",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
    external: ["@azure/functions-core"],
  });
  const folders = new Set<string>();
  const packages = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
    if (pkg !== undefined) packages.add(pkg);
    else folders.add(input.split("/")[0] ?? input);
  }
  return { folders, packages };
}

describe("infra/bridge/Dockerfile", () => {
  it("copies every folder and installs every package the bridge command imports", async () => {
    const dockerfile = await readFile(join(ROOT, "infra/bridge/Dockerfile"), "utf8");
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const copied = new Set([...dockerfile.matchAll(/^COPY (\S+) \.\/\1$/gm)].map((m) => m[1]));
    const { folders, packages } = await importedByCli();
    expect([...folders].filter((f) => !copied.has(f))).toEqual([]);
    // Packages reached only through other packages are installed with them.
    const direct = [...packages].filter(
      (p) => pkg.dependencies[p] === undefined && !OPTIONAL.has(p),
    );
    const nested = await Promise.all(
      direct.map(async (p) => {
        const lock = JSON.parse(await readFile(join(ROOT, "package-lock.json"), "utf8")) as {
          packages: Record<string, { dev?: boolean }>;
        };
        return { p, dev: lock.packages[`node_modules/${p}`]?.dev === true };
      }),
    );
    expect(nested.filter((n) => n.dev).map((n) => n.p)).toEqual([]);
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "cli\/bin\.js", "bridge"\]/);
  });
});
