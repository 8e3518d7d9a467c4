/** `amqp-mesh catalog` and `amqp-mesh types` as a user runs them: the real CLI in a child process. */
import { spawnSync } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXAMPLES_DIR, parseAsyncApi, REPO_ROOT } from "../unit/catalog/helpers.ts";

const BIN = join(REPO_ROOT, "cli/bin.js");

function cli(...args: string[]) {
  const run = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

// The AsyncAPI parser takes about a second per document, many more on a loaded machine.
describe("amqp-mesh catalog", { timeout: 120_000 }, () => {
  it("writes one AsyncAPI document per team of the example, each accepted by the parser, and the page", async () => {
    const out = await mkdtemp(join(tmpdir(), "amqp-mesh-catalog-"));
    const run = cli("catalog", EXAMPLES_DIR, "--out", out);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const names = (await readdir(out)).sort();
    expect(names.filter((n) => n.endsWith(".asyncapi.yaml"))).toEqual([
      "billing.asyncapi.yaml",
      "logistics.asyncapi.yaml",
      "sales.asyncapi.yaml",
    ]);
    expect(names).toContain("catalog.html");
    for (const name of names.filter((n) => n.endsWith(".asyncapi.yaml"))) {
      const { errors } = await parseAsyncApi(await readFile(join(out, name), "utf8"));
      expect(errors, name).toEqual([]);
    }
  });

  it("refuses an invalid registry with its diagnostics and writes nothing", async () => {
    const project = await mkdtemp(join(tmpdir(), "amqp-mesh-catalog-bad-"));
    await cp(EXAMPLES_DIR, project, { recursive: true });
    const sales = join(project, "registry/sales.yaml");
    await writeFile(
      sales,
      (await readFile(sales, "utf8")).replace("distribution: balanced", "distribution: everywhere"),
    );
    const out = join(project, "catalog-out");
    const run = cli("catalog", project, "--out", out);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/registry\/sales\.yaml:\d+:\d+: error: .*distribution/);
    await expect(readdir(out)).rejects.toThrow();
  });

  it("counts the major on from the catalog in --out: a channel removed is a new major, and says so", async () => {
    const project = await mkdtemp(join(tmpdir(), "amqp-mesh-catalog-next-"));
    await cp(EXAMPLES_DIR, project, { recursive: true });
    const out = join(project, "catalog-out");
    expect(cli("catalog", project, "--out", out).code).toBe(0);
    const versionOf = async (dir: string) =>
      /^ {2}version: (\d+)\./m.exec(
        await readFile(join(dir, "logistics.asyncapi.yaml"), "utf8"),
      )?.[1];
    const first = await versionOf(out);
    const logistics = join(project, "registry/logistics.yaml");
    const text = await readFile(logistics, "utf8");
    await writeFile(logistics, text.slice(0, text.indexOf("  - address: logistics/shipments")));
    const run = cli("catalog", project, "--out", out);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(Number(await versionOf(out))).toBe(Number(first) + 1);
    expect(run.stdout).toContain(`logistics: major version ${first} → ${Number(first) + 1}`);
    // Again with no change: the major stays.
    expect(cli("catalog", project, "--out", out).code).toBe(0);
    expect(Number(await versionOf(out))).toBe(Number(first) + 1);
    // --previous: another folder is the baseline; one that is not a folder is refused.
    const next = join(project, "catalog-next");
    expect(cli("catalog", project, "--out", next, "--previous", out).code).toBe(0);
    expect(await versionOf(next)).toBe(await versionOf(out));
    const missing = cli("catalog", project, "--out", next, "--previous", join(project, "nope"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("is not a folder");
  });

  it("refuses a last catalog it cannot read, naming the file, and writes nothing", async () => {
    const out = await mkdtemp(join(tmpdir(), "amqp-mesh-catalog-damaged-"));
    await writeFile(join(out, "sales.asyncapi.yaml"), "info: [not a team document");
    const run = cli("catalog", EXAMPLES_DIR, "--out", out);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${join(out, "sales.asyncapi.yaml")}: not YAML`);
    expect((await readdir(out)).sort()).toEqual(["sales.asyncapi.yaml"]);
  });

  it("needs --out (usage error, exit 2)", () => {
    const run = cli("catalog", EXAMPLES_DIR);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("catalog needs --out <dir>");
  });
});
