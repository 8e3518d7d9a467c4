/**
 * schemaFile paths from a team's file (fuzzed): whatever the path, a schema is read only from
 * inside the project; a file outside, reached by `..`, an absolute path or a symbolic link,
 * is never read.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { projectSchemaFileReader } from "../../../shared/registry/index.ts";

const base = mkdtempSync(join(tmpdir(), "amqp-mesh-schema-fuzz-"));
const project = join(base, "project");
mkdirSync(join(project, "registry", "schemas"), { recursive: true });
writeFileSync(join(project, "registry", "schemas", "inside.json"), '{"title":"inside"}');
// Valid JSON Schemas outside the project: reading one would be accepted, so the test sees it.
writeFileSync(join(base, "outside.json"), '{"title":"outside"}');
symlinkSync(join(base, "outside.json"), join(project, "registry", "schemas", "link.json"));
symlinkSync(base, join(project, "registry", "up"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const segment = fc.constantFrom(
  "..",
  ".",
  "",
  "schemas",
  "registry",
  "project",
  "inside.json",
  "outside.json",
  "link.json",
  "up",
);
const path = fc
  .tuple(fc.boolean(), fc.array(segment, { minLength: 1, maxLength: 7 }))
  .map(([absolute, parts]) => (absolute ? base : "") + (absolute ? "/" : "") + parts.join("/"));

describe("projectSchemaFileReader (fuzz)", () => {
  const read = projectSchemaFileReader(project);
  const document = join(project, "registry", "team.yaml");

  it("reads the schema inside the project, refuses the link out", async () => {
    expect(await read(document, "schemas/inside.json")).toEqual({
      ok: true,
      schema: { title: "inside" },
    });
    expect(await read(document, "schemas/link.json")).toMatchObject({
      ok: false,
      code: "registry/schema-file-outside",
    });
    expect(await read(document, "up/outside.json")).toMatchObject({
      ok: false,
      code: "registry/schema-file-outside",
    });
  });

  it("never returns the outside file, whatever the path", async () => {
    await fc.assert(
      fc.asyncProperty(path, async (schemaFile) => {
        const result = await read(document, schemaFile);
        if (result.ok) expect(result.schema).toEqual({ title: "inside" });
        else expect(JSON.stringify(result)).not.toContain('"title":"outside"');
      }),
      { numRuns: 400 },
    );
  });
});
