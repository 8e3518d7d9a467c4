import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EXAMPLES, tempFolders } from "./copy-examples.ts";
import { runCli } from "./run-cli.ts";

const temps = tempFolders();
afterEach(() => temps.cleanup());

describe("amqp-mesh validate", () => {
  it("accepts the example project and summarises it", async () => {
    const result = await runCli(["validate", EXAMPLES]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^valid \(0 errors, \d+ warnings?\): 3 teams, 7 channels; 2 environments, 4 interior and 4 edge routers, 1 brokers/m,
    );
  });

  it("reports an invalid registry with file, line and column, and exits 1", async () => {
    const dir = await temps.copyOfExamples();
    const file = join(dir, "registry", "billing.yaml");
    const text = await readFile(file, "utf8");
    // Claim a prefix inside the sales team's channel: a cross-team overlap.
    await writeFile(
      file,
      text.replace("address: billing/invoices.dead", "address: sales/orders/refunds"),
    );
    const result = await runCli(["validate", dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/registry[/\\]billing\.yaml:\d+:\d+: error: .*sales\/orders/);
    expect(result.stdout).toMatch(/sales/);
    expect(result.stdout).toMatch(/^invalid \(\d+ errors?/m);
  });

  it("prints machine-readable diagnostics with --json", async () => {
    const dir = await temps.copyOfExamples();
    await writeFile(join(dir, "registry", "extra.yaml"), "team: extra\nchanels: []\n");
    const result = await runCli(["validate", dir, "--json"]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      valid: boolean;
      diagnostics: { file: string; line: number; column: number; message: string }[];
    };
    expect(report.valid).toBe(false);
    const unknownKey = report.diagnostics.find((d) => d.file.endsWith("extra.yaml"));
    expect(unknownKey).toMatchObject({ line: 2, column: 1 });
    expect(unknownKey?.message).toMatch(/chanels/);
  });

  it("exits 2 on a usage error", async () => {
    expect((await runCli(["validate"])).code).toBe(2);
    expect((await runCli(["validate", "/no/such/folder"])).code).toBe(2);
    const unknown = await runCli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});
