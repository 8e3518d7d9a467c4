/**
 * A team document's version: a breaking registry change (as shared/registry's compat finds
 * it) shows as a new major version of that team's document, and only of that team's.
 */

import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { catalogFiles } from "../../../shared/catalog/index.ts";
import { type ChannelRegistry, findBreakingChanges } from "../../../shared/registry/index.ts";
import { EXAMPLES_DIR, loadProject } from "./helpers.ts";

const project = await loadProject(EXAMPLES_DIR);

function versions(registry: ChannelRegistry): Record<string, string> {
  const files = catalogFiles(registry, project.topology);
  return Object.fromEntries(
    registry.teams.map((t) => [
      t.team,
      (parse(files.get(`${t.team}.asyncapi.yaml`)!) as { info: { version: string } }).info.version,
    ]),
  );
}
const major = (version: string | undefined) => Number(version?.split(".")[0]);

/** The example with sales/orders' payload schema replaced (and its version set). */
function withOrderSchema(
  change: (schema: Record<string, unknown>) => Record<string, unknown>,
  version: number,
) {
  return {
    ...project.registry,
    channels: project.registry.channels.map((c) =>
      c.address === "sales/orders"
        ? { ...c, version, payloadSchema: change(structuredClone(c.payloadSchema!)) }
        : c,
    ),
  };
}

// The AsyncAPI parser takes about a second per document, many more on a loaded machine.
describe("team document versions", { timeout: 120_000 }, () => {
  it("a breaking change with the channel's version raised is a new major of that team's document", () => {
    const next = withOrderSchema(
      (schema) => ({ ...schema, required: [...(schema.required as string[]), "currency"] }),
      2,
    );
    const breaking = findBreakingChanges(project.registry, next);
    expect(breaking.map((c) => [c.address, c.allowed, c.changes.map((x) => x.kind)])).toEqual([
      ["sales/orders", true, ["property-required"]],
    ]);
    const before = versions(project.registry);
    const after = versions(next);
    expect(major(after.sales)).toBe(major(before.sales) + 1);
    expect(after.billing).toBe(before.billing);
    expect(after.logistics).toBe(before.logistics);
  });

  it("a change that breaks nobody keeps the major and still changes the version", () => {
    const next = withOrderSchema(
      (schema) => ({
        ...schema,
        properties: { ...(schema.properties as object), note: { type: "string" } },
      }),
      1,
    );
    expect(findBreakingChanges(project.registry, next)).toEqual([]);
    const before = versions(project.registry);
    const after = versions(next);
    expect(major(after.sales)).toBe(major(before.sales));
    expect(after.sales).not.toBe(before.sales);
  });

  it("the same registry gives the same versions", async () => {
    const again = await loadProject(EXAMPLES_DIR);
    expect(versions(again.registry)).toEqual(versions(project.registry));
  });
});
