import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseJsonFile } from "../../../shared/router-config/index.ts";
import { EXAMPLES, tempFolders } from "./copy-examples.ts";
import { runCli } from "./run-cli.ts";

const temps = tempFolders();
afterEach(() => temps.cleanup());

describe("amqp-mesh generate", () => {
  it("writes one qdrouterd config per router and a summary", async () => {
    const out = await temps.make();
    const result = await runCli(["generate", EXAMPLES, "--out", out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/wrote 8 router configs/);
    const files = (await readdir(out)).sort();
    expect(files.filter((f) => f.endsWith(".conf"))).toHaveLength(8);
    expect(files).toContain("summary.json");
    const interior = await readFile(join(out, "aws-eu-interior-1.conf"), "utf8");
    expect(interior).toMatch(/linkRoute \{/);
    expect(interior).toMatch(/prefix: sales\/orders\n\s+distribution: balanced/);
  });

  it("writes skupper-router configs without linkRoutes, the queue between two autoLinked addresses, when asked", async () => {
    const out = await temps.make();
    const result = await runCli([
      "generate",
      EXAMPLES,
      "--out",
      out,
      "--flavour",
      "skupper-router",
      "--format",
      "json",
    ]);
    expect(result.code).toBe(0);
    const interior = await readFile(join(out, "aws-eu-interior-1.json"), "utf8");
    expect(interior).not.toMatch(/linkRoute/);
    // No phases: the queue sits between two addresses, never an out/in pair on one (it loops).
    const autoLinks = parseJsonFile(interior)
      .entities.filter((e) => e.type === "autoLink")
      .map(({ attributes: a }) => [a.direction, a.address, a.externalAddress]);
    expect(autoLinks).toEqual([
      ["out", "billing/invoices", "/queue/billing-invoices"],
      ["in", "_amqp-mesh/from-queue/billing/invoices", "/queue/billing-invoices"],
    ]);
    expect(result.stderr).not.toMatch(/billing\/invoices/);
  });

  it("refuses bad options with a usage error", async () => {
    const out = await temps.make();
    const flavour = await runCli(["generate", EXAMPLES, "--out", out, "--flavour", "rabbit"]);
    expect(flavour.code).toBe(2);
    expect(flavour.stderr).toMatch(/--flavour must be one of qpid-dispatch, skupper-router/);
    expect((await runCli(["generate", EXAMPLES])).stderr).toMatch(/--out/);
  });

  it("--management-principal: that login alone may use $management on every router", async () => {
    const out = await temps.make();
    const result = await runCli([
      "generate",
      EXAMPLES,
      "--out",
      out,
      "--format",
      "json",
      "--management-principal",
      "config-sync",
    ]);
    expect(result.code).toBe(0);
    for (const file of (await readdir(out)).filter(
      (f) => f.endsWith(".json") && f !== "summary.json",
    )) {
      const entities = JSON.parse(
        // The router skips '#' comment lines before the JSON, as this does.
        (await readFile(join(out, file), "utf8")).replace(/^#.*$/gm, ""),
      ) as [string, Record<string, unknown>][];
      const vhost = entities.find(([type, a]) => type === "vhost" && a.hostname === "$default");
      const groups = (vhost?.[1].groups ?? {}) as Record<
        string,
        { users: string; targets?: string }
      >;
      const managing = Object.values(groups).filter((g) =>
        (g.targets ?? "").split(", ").includes("$management"),
      );
      expect(
        managing.map((g) => g.users),
        file,
      ).toEqual(["config-sync"]);
    }
    const comma = await runCli([
      "generate",
      EXAMPLES,
      "--out",
      out,
      "--management-principal",
      "CN=a,O=b",
    ]);
    expect(comma.code).toBe(2);
    expect(comma.stderr).toContain(
      '--management-principal "CN=a,O=b" cannot be a vhost policy user',
    );
  });
});

describe("amqp-mesh diff", () => {
  it("shows the router entities a new channel adds and reports no breaking change", async () => {
    const next = await temps.copyOfExamples();
    const file = join(next, "registry", "logistics.yaml");
    await writeFile(
      file,
      `${await readFile(file, "utf8")}  - address: logistics/returns\n    description: Parcels coming back.\n    producers: [sales]\n    consumers: [logistics]\n`,
    );
    const result = await runCli(["diff", EXAMPLES, next]);
    expect(result.code).toBe(0);
    // The vhost's groups change in place: no delete and re-create of every user's rights.
    expect(result.stdout).toMatch(
      /aws-eu-edge-1: 1 to create, 1 to update\n {2}\+ address amqp-mesh\/address\/logistics\/returns \(prefix=logistics\/returns, distribution=balanced\)\n {2}~ vhost amqp-mesh\/vhost\/\$default: groups \(UPDATE/,
    );
    expect(result.stdout).not.toMatch(/ {2}- vhost/);
    expect(result.stdout).toMatch(/no breaking payload schema changes/);
  });

  it("shows a changed policy maxMessageSize, which only a router restart applies", async () => {
    const next = await temps.copyOfExamples();
    const file = join(next, "registry", "sales.yaml");
    const text = await readFile(file, "utf8");
    await writeFile(
      file,
      text.replace("    maxMessageSize: 16384\n", "    maxMessageSize: 2097152\n"),
    );
    const result = await runCli(["diff", EXAMPLES, next]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /aws-eu-interior-1: 1 to update, 1 only by restart\n[\s\S]*\n {2}! policy: maxMessageSize 1048576 → 2097152 \(no UPDATE for policy: restart the router with the new config\)/,
    );
    const json = await runCli(["diff", EXAMPLES, next, "--json"]);
    const report = JSON.parse(json.stdout) as {
      routers: { routerId: string; update: { type: string; live: boolean }[] }[];
    };
    const interior = report.routers.find((r) => r.routerId === "aws-eu-interior-1")!;
    expect(interior.update).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: "policy", live: false })]),
    );
  });

  it("refuses to plan when generate would refuse a channel, naming file and line, exit 1", async () => {
    const next = await temps.copyOfExamples();
    const file = join(next, "registry", "billing.yaml");
    const text = await readFile(file, "utf8");
    // Valid registry, but the broker's environment is outside the channel's: generate refuses it.
    await writeFile(
      file,
      text.replace(
        "    routing: { kind: broker, broker: rabbit-eu, queue: billing-invoices }\n",
        "    routing: { kind: broker, broker: rabbit-eu, queue: billing-invoices }\n    environments: [azure-we]\n",
      ),
    );
    expect((await runCli(["validate", next])).code).toBe(0);
    const result = await runCli(["diff", EXAMPLES, next]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /registry\/billing\.yaml:6:5: error: channel 'billing\/invoices': broker 'rabbit-eu' is in environment 'aws-eu'/,
    );
    expect(result.stderr).toMatch(/cannot be generated \(1 error\); no plan/);
    // No plan that would show the refused channel as deleted.
    expect(result.stdout).not.toMatch(/- address amqp-mesh\/address\/billing\/invoices/);
  });

  it("refuses a newly required property unless the channel version is raised", async () => {
    const next = await temps.copyOfExamples();
    const schema = join(next, "registry", "schemas", "invoice.json");
    const parsed = JSON.parse(await readFile(schema, "utf8")) as { required: string[] };
    parsed.required.push("currency");
    await writeFile(schema, JSON.stringify(parsed));
    const refused = await runCli(["diff", EXAMPLES, next]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/billing\/invoices \(billing\): 1 breaking — refused/);
    expect(refused.stdout).toMatch(/currency/);

    const registry = join(next, "registry", "billing.yaml");
    const text = await readFile(registry, "utf8");
    await writeFile(
      registry,
      text.replace(
        "  - address: billing/invoices\n",
        "  - address: billing/invoices\n    version: 2\n",
      ),
    );
    const allowed = await runCli(["diff", EXAMPLES, next, "--json"]);
    expect(allowed.code).toBe(0);
    const report = JSON.parse(allowed.stdout) as {
      breakingChanges: { address: string; allowed: boolean }[];
    };
    expect(report.breakingChanges).toEqual([
      expect.objectContaining({ address: "billing/invoices", allowed: true }),
    ]);
  });
});
