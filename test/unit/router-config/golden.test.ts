import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../../shared/diagnostics.ts";
import {
  generateRouterConfigs,
  type RouterConfigFormat,
  renderRouterFile,
} from "../../../shared/router-config/index.ts";
import type { RouterFlavour } from "../../../shared/topology/index.ts";
import { loadExampleRegistry, loadExampleTopology, REPO_ROOT } from "./example-project.ts";

/*
 * Golden files: the generated configs of the example project, per flavour and format, under
 * test/fixtures/golden/<flavour>/, compared byte for byte. After an intended change run
 *   UPDATE_GOLDEN=1 npx vitest run test/unit/router-config
 * to rewrite them, and review the diff before committing.
 */
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const FLAVOURS: RouterFlavour[] = ["qpid-dispatch", "skupper-router"];
const FORMATS: RouterConfigFormat[] = ["conf", "json"];

function goldenFiles(flavour: RouterFlavour): Map<string, string> {
  const { configs, diagnostics } = generateRouterConfigs(
    loadExampleRegistry(),
    loadExampleTopology(),
    {
      flavour,
    },
  );
  const files = new Map<string, string>();
  for (const config of configs)
    for (const format of FORMATS)
      files.set(`${config.routerId}.${format}`, renderRouterFile(config, format));
  files.set("diagnostics.txt", diagnostics.map((d) => `${formatDiagnostic(d)}\n`).join(""));
  return files;
}

describe.each(FLAVOURS)("golden configs of the example project (%s)", (flavour) => {
  const dir = join(REPO_ROOT, "test/fixtures/golden", flavour);
  const expected = goldenFiles(flavour);

  if (UPDATE) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of expected) writeFileSync(join(dir, name), text);
  }

  it("has exactly the golden files", () => {
    expect(existsSync(dir)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([...expected.keys()].sort());
  });

  it.each([...expected.keys()])("%s matches byte for byte", (name) => {
    expect(readFileSync(join(dir, name), "utf8")).toBe(expected.get(name));
  });
});
