/**
 * A team document's version: a breaking registry change (as shared/registry's compat finds
 * it) shows as a new major version of that team's document, and only of that team's.
 */

import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  CatalogBaselineError,
  catalogFiles,
  readPublishedVersion,
} from "../../../shared/catalog/index.ts";
import { type ChannelRegistry, findBreakingChanges } from "../../../shared/registry/index.ts";
import { EXAMPLES_DIR, loadProject } from "./helpers.ts";

const project = await loadProject(EXAMPLES_DIR);

/** Each team's document text, against the given published catalog (team → its text). */
function documents(
  registry: ChannelRegistry,
  published?: Record<string, string>,
): Map<string, string> {
  const baselines = new Map(
    Object.entries(published ?? {}).map(([team, text]) => [
      team,
      readPublishedVersion(text, `${team}.asyncapi.yaml`),
    ]),
  );
  return catalogFiles(registry, project.topology, baselines);
}

function versions(
  registry: ChannelRegistry,
  published?: Record<string, string>,
): Record<string, string> {
  const files = documents(registry, published);
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

  describe("against the last published catalog", () => {
    const published = Object.fromEntries(
      project.registry.teams.map((t) => [
        t.team,
        documents(project.registry).get(`${t.team}.asyncapi.yaml`) as string,
      ]),
    );
    const without = (address: string): ChannelRegistry => ({
      ...project.registry,
      channels: project.registry.channels.filter((c) => c.address !== address),
    });

    it("a channel removed is a new major of its team's document (counted from the registry alone it would stay)", () => {
      const next = without("logistics/shipments");
      expect(major(versions(next).logistics)).toBe(major(versions(project.registry).logistics));
      const after = versions(next, published);
      expect(major(after.logistics)).toBe(major(versions(project.registry).logistics) + 1);
      expect(after.sales).toBe(versions(project.registry).sales);
    });

    it("counts on from the published major: a version raised by 2 adds 2, nothing breaking adds 0", () => {
      const raised = withOrderSchema((schema) => schema, 3);
      // A published sales document at major 7 (an older history than the registry shows).
      const at7 = {
        ...published,
        sales: (published.sales as string).replace(/version: \d+\.0\.0/, "version: 7.0.0"),
      };
      expect(major(versions(raised, at7).sales)).toBe(9);
      expect(major(versions(project.registry, at7).sales)).toBe(7);
    });

    it("a channel added to a team breaks nobody: the major stays", () => {
      const orders = project.registry.channels.find((c) => c.address === "sales/orders");
      const next = {
        ...project.registry,
        channels: [
          ...project.registry.channels,
          { ...orders!, address: "sales/returns", version: 4 },
        ],
      };
      expect(major(versions(next, published).sales)).toBe(major(versions(project.registry).sales));
    });

    it("refuses what is not a published team document, naming the file", () => {
      for (const text of ["[", "just text", "info: {}", "asyncapi: 3.0.0\ninfo: {version: x}"])
        expect(() => readPublishedVersion(text, "out/sales.asyncapi.yaml")).toThrow(
          CatalogBaselineError,
        );
      expect(() => readPublishedVersion("[", "out/sales.asyncapi.yaml")).toThrow(
        /out\/sales\.asyncapi\.yaml: not YAML/,
      );
    });
  });
});
