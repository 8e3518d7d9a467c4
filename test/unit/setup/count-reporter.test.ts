/**
 * The closing count line: a file whose set-up failed (a mesh that did not form) has its
 * tests counted as failed, not skipped as vitest counts them — in the suite's own line and
 * in `.ci/run`'s, which then exits non-zero. Runs vitest on two fixture files.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../../..");
const VITEST = join(ROOT, "node_modules/vitest/vitest.mjs");
const CONFIG = join(ROOT, "test/fixtures/set-up-failure/vitest.config.ts");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string>): Promise<Run> {
  // The fixture run is a vitest of its own, not a worker of this one.
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("VITEST") && k !== "NODE_OPTIONS"),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: ROOT, env: { ...clean, ...env, CI: "", NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("the closing count line", () => {
  let dir: string;
  let fixtureRun: Run;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "amqp-mesh-counts-"));
    fixtureRun = await run([VITEST, "run", "--config", CONFIG], {
      COUNTS_FILE: join(dir, "counts.json"),
      JSON_FILE: join(dir, "vitest.json"),
    });
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("counts the tests of a file that failed in set-up as failed, and names the file", async () => {
    expect(fixtureRun.code).toBe(1);
    expect(fixtureRun.stdout).toContain(
      "tests: 1 passed, 2 failed (2 of them did not run: their set-up failed), 2 skipped; failed files: 1",
    );
    expect(fixtureRun.stdout).toContain(
      "failed: mesh-never-forms.fixture.ts: qdrouterd mesh did not form: router a does not see c",
    );
    // What vitest's own JSON says of the same run: no test failed, four skipped.
    const report = JSON.parse(await readFile(join(dir, "vitest.json"), "utf8"));
    expect([report.numFailedTests, report.numPendingTests]).toEqual([0, 4]);
  });

  it(".ci/run's count line says the same and exits non-zero", async () => {
    const ci = await run([join(ROOT, ".ci/count-line.mjs"), join(dir, "counts.json")], {});
    expect(ci.stdout).toContain(
      "1 passed, 2 failed (2 of them did not run: their set-up failed), 2 skipped; failed files: 1",
    );
    expect(ci.code).toBe(1);
  });

  it(".ci/run's count fails when the run left no counts", async () => {
    const ci = await run([join(ROOT, ".ci/count-line.mjs"), join(dir, "missing.json")], {});
    expect(ci.code).toBe(1);
    expect(ci.stderr).toContain("no test counts");
  });
});
