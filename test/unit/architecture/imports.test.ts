/**
 * The layout's rules, read from the sources: no import cycle anywhere in production code;
 * shared/ is the cloud-neutral bottom (no cloud SDK, nothing of the fronts above it); a long
 * file says at its top why it is long. A failure names the files.
 */
import { describe, expect, it } from "vitest";
import { importCycles, readProductionSources, type SourceFile } from "./import-graph.ts";

const files = readProductionSources(process.cwd());

/** Packages of a cloud: their place is functions/, infra/ and the local twin, never shared/. */
const CLOUD_SDK =
  /^(@aws-sdk\/|@smithy\/|@aws-lambda-powertools\/|@middy\/|aws-lambda$|@azure\/|@pulumi\/)/;

/** What shared/ may not import: the fronts, the tools and the local mesh built on it. */
const ABOVE_SHARED = /^(cli|emulator|examples|functions|infra|tools)\//;

/** Lines a production file may have without saying at its top why it has more. */
const LINE_LIMIT = 450;

/** What opens the reason, in the file's first comment: `Why it is long: …`. */
const REASON = "Why it is long:";

function lineCount(text: string): number {
  return text.endsWith("\n") ? text.split("\n").length - 1 : text.split("\n").length;
}

/** The file's opening comment (a shebang and a leading line comment block count too). */
function header(file: SourceFile): string {
  const text = file.text.replace(/^#!.*\n/, "");
  const block = /^\s*\/\*[\s\S]*?\*\//.exec(text);
  if (block) return block[0];
  return /^(\s*\/\/.*\n)+/.exec(text)?.[0] ?? "";
}

describe("the production import graph", () => {
  it("reads the production folders", () => {
    expect(files.length).toBeGreaterThan(300);
    expect(files.map((f) => f.path)).toContain("shared/trigger/index.ts");
  });

  it("has no import cycle", () => {
    const cycles = importCycles(files).map((cycle) => cycle.join(" → "));
    expect(cycles, `import cycles:\n${cycles.join("\n")}`).toEqual([]);
  });

  it("finds a cycle when there is one, and names it", () => {
    const file = (path: string, imports: string[]): SourceFile => ({
      path,
      text: "",
      imports,
      packages: [],
    });
    expect(
      importCycles([
        file("a.ts", ["b.ts"]),
        file("b.ts", ["c.ts"]),
        file("c.ts", ["a.ts", "d.ts"]),
        file("d.ts", []),
        file("e.ts", ["e.ts"]),
      ]),
    ).toEqual([
      ["a.ts", "b.ts", "c.ts", "a.ts"],
      ["e.ts", "e.ts"],
    ]);
  });
});

describe("shared/", () => {
  const shared = files.filter((f) => f.path.startsWith("shared/"));

  it("imports no cloud SDK", () => {
    const found = shared.flatMap((f) =>
      f.packages.filter((p) => CLOUD_SDK.test(p)).map((p) => `${f.path} imports ${p}`),
    );
    expect(found).toEqual([]);
  });

  it("imports nothing of cli/, functions/ or the other folders built on it", () => {
    const found = shared.flatMap((f) =>
      f.imports.filter((i) => ABOVE_SHARED.test(i)).map((i) => `${f.path} imports ${i}`),
    );
    expect(found).toEqual([]);
  });
});

describe("functions/", () => {
  it("imports nothing but shared/ and its own adapters (no cli/, emulator/, infra/, tools/)", () => {
    const found = files
      .filter((f) => f.path.startsWith("functions/"))
      .flatMap((f) =>
        f.imports
          .filter((i) => !i.startsWith("shared/") && !i.startsWith("functions/"))
          .map((i) => `${f.path} imports ${i}`),
      );
    expect(found).toEqual([]);
  });
});

describe("cli/", () => {
  it("only main.ts imports the commands: what they share lives below them", () => {
    const found = files
      .filter((f) => f.path.startsWith("cli/") && !f.path.startsWith("cli/commands/"))
      .filter((f) => f.path !== "cli/main.ts")
      .flatMap((f) =>
        f.imports.filter((i) => i.startsWith("cli/commands/")).map((i) => `${f.path} imports ${i}`),
      );
    expect(found).toEqual([]);
  });
});

describe("file length", () => {
  const long = files.filter((f) => f.path.endsWith(".ts") && lineCount(f.text) > LINE_LIMIT);

  it(`no production file is over ${LINE_LIMIT} lines without saying at its top why`, () => {
    const unexplained = long
      .filter((f) => !header(f).includes(REASON))
      .map((f) => `${f.path}: ${lineCount(f.text)} lines, no "${REASON}" in its first comment`);
    expect(unexplained).toEqual([]);
  });
});
