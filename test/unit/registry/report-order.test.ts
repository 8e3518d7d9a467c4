/**
 * What `validate` puts first and where (issue 15, item 8): a file that cannot be read comes
 * before the knock-on errors it causes elsewhere; one team's schema error does not hide the
 * rules across teams; a conflict lands on the team that caused it, with a hint that helps.
 */
import { readdirSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateProject } from "../../../shared/registry/index.ts";
import { checkRegistry } from "../../../shared/sync/gate.ts";
import { loadSnapshot } from "../../../shared/sync/project-loader.ts";
import { makeSnapshot, type ProjectFile } from "../../../shared/sync/snapshot.ts";
import { writeTempProject } from "./helpers.ts";

function exampleFiles(): Record<string, string> {
  const files: Record<string, string> = {
    "topology.yaml": readFileSync("examples/topology.yaml", "utf8"),
  };
  for (const name of readdirSync("examples/registry", { recursive: true, encoding: "utf8" })) {
    const path = join("examples/registry", name);
    if (/\.(ya?ml|json)$/.test(name)) files[`registry/${name}`] = readFileSync(path, "utf8");
  }
  return files;
}

/** The line of the example's sales/orders channel (its list item) in sales.yaml. */
function salesOrdersLine(): number {
  const lines = readFileSync("examples/registry/sales.yaml", "utf8").split("\n");
  return lines.indexOf("  - address: sales/orders") + 1;
}

const folders: string[] = [];
afterAll(async () => {
  for (const f of folders) await rm(f, { recursive: true, force: true });
});

async function validate(edit: (files: Record<string, string>) => void) {
  const files = exampleFiles();
  edit(files);
  const dir = await writeTempProject(files);
  folders.push(dir);
  return (await validateProject(dir)).diagnostics;
}

const ACME = `team: acme
principals: [acme-bot]
channels:
  - address: sales/orders
    description: A new team claims the sales team's channel.
    producers: [acme]
    consumers: [acme]
`;

describe("the order and place of validation errors", () => {
  it("lists a YAML syntax error before the knock-on errors in other files", async () => {
    const diagnostics = await validate((files) => {
      files["registry/sales.yaml"] = files["registry/sales.yaml"]!.replace(
        "team: sales",
        "team: sales\n  bad: [",
      );
    });
    const codes = diagnostics.map((d) => d.code);
    // Other files now name 'sales', which no readable document declares.
    expect(codes).toContain("registry/unknown-party");
    const firstKnockOn = codes.indexOf("registry/unknown-party");
    const syntax = codes.flatMap((c, i) => (c.startsWith("yaml/") ? [i] : []));
    expect(syntax.length).toBeGreaterThan(0);
    expect(Math.max(...syntax)).toBeLessThan(firstKnockOn);
    expect(diagnostics[0]!.file).toMatch(/registry\/sales\.yaml$/);
  });

  it("runs the rules across teams although one team's channel lacks its description", async () => {
    const diagnostics = await validate((files) => {
      files["registry/sales.yaml"] = files["registry/sales.yaml"]!.replace(
        "    description: A customer placed an order; exactly one fulfilment worker takes it.\n",
        "",
      );
      files["registry/acme.yaml"] = ACME;
    });
    expect(diagnostics.filter((d) => d.code === "registry/missing-key")).toHaveLength(1);
    const duplicate = diagnostics.filter((d) => d.code === "registry/duplicate-address");
    // Both sales/orders channels are seen: each file is told, each naming the other.
    expect(duplicate.map((d) => [d.file.replace(/.*\//, ""), d.message])).toEqual([
      [
        "acme.yaml",
        expect.stringMatching(
          new RegExp(`already declared by team 'sales' at .*sales\\.yaml:${salesOrdersLine()}:5$`),
        ),
      ],
      ["sales.yaml", expect.stringMatching(/already declared by team 'acme' at .*acme\.yaml:4:5$/)],
    ]);
  });

  it("gives a hint into the reporting team's own namespace, never into the other team's", async () => {
    const diagnostics = await validate((files) => {
      files["registry/acme.yaml"] = ACME.replace("sales/orders", "sales");
    });
    const onAcme = diagnostics.filter(
      (d) => d.code === "registry/prefix-overlap" && d.file.endsWith("acme.yaml"),
    );
    expect(onAcme.length).toBeGreaterThan(0);
    for (const d of onAcme) {
      expect(d.message).toMatch(/^prefix 'sales' of team 'acme' covers address 'sales\//);
      expect(d.hint).toMatch(/use an address of team 'acme' .*\(e\.g\. 'acme\/sales'\)/);
    }
    // Sales is told too (no last good registry): never to move inside the prefix it is told
    // to leave, and any example address is its own.
    const all = diagnostics.filter((d) => d.code === "registry/prefix-overlap");
    for (const d of all) {
      const team = d.file.endsWith("acme.yaml") ? "acme" : "sales";
      expect(d.hint).not.toMatch(/starting with/);
      const example = /e\.g\. '([^']+)'/.exec(d.hint)?.[1];
      if (example !== undefined) expect(example.startsWith(`${team}/`)).toBe(true);
    }
  });

  it("at config-sync's gate reports a new team's claim on the new team only", async () => {
    const asFiles = (files: Record<string, string>): ProjectFile[] =>
      Object.entries(files).map(([path, content]) => ({ path, content }));
    const lastGood = await loadSnapshot(makeSnapshot(asFiles(exampleFiles()), "store://r/"));
    const files = exampleFiles();
    files["registry/acme.yaml"] = ACME;
    const verdict = checkRegistry(
      await loadSnapshot(makeSnapshot(asFiles(files), "store://r/")),
      lastGood,
    );
    expect(verdict.accepted ? [] : verdict.problems).toEqual([
      expect.stringMatching(
        /^store:\/\/r\/registry\/acme\.yaml:4:14: error: address 'sales\/orders' of team 'acme' is already declared by team 'sales'/,
      ),
      expect.stringMatching(
        /^store:\/\/r\/registry\/acme\.yaml:4:14: error: address 'sales\/orders' of team 'acme' starts with 'sales', the name of team 'sales'/,
      ),
      expect.stringMatching(
        /^store:\/\/r\/registry\/acme\.yaml:4:14: error: prefix 'sales\/orders' of team 'acme' covers address 'sales\/orders\.dead'/,
      ),
    ]);
  });
});
