/**
 * What `up` says changed for the functions between two registries (channels added, removed,
 * changed), and where a channel function runs, as whom.
 */

import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  placeTrigger,
  projectFunctions,
  type TriggerFunction,
} from "../../../cli/local/cloud-triggers.ts";
import { registryChange } from "../../../cli/local/function-registries.ts";
import { snapshotRegistry } from "../../../shared/registry-snapshot/index.ts";
import { loadExampleRegistry, loadExampleTopology } from "../router-config/example-project.ts";

describe("registryChange", () => {
  it("names the channels added, removed and changed between two snapshots, and both digests", () => {
    const example = loadExampleRegistry();
    const before = snapshotRegistry(example);
    const events = example.channels.find((c) => c.address === "sales/events")!;
    const after = snapshotRegistry({
      ...example,
      channels: [
        ...example.channels
          .filter((c) => c.address !== "logistics/tracking")
          .map((c) => (c === events ? { ...c, maxMessageSize: c.maxMessageSize + 1 } : c)),
        { ...events, address: "sales/returns" },
      ],
    });
    expect(registryChange(before, after)).toEqual({
      previous: before.digest,
      digest: after.digest,
      added: ["sales/returns"],
      removed: ["logistics/tracking"],
      changed: ["sales/events"],
    });
    expect(registryChange(after, after)).toMatchObject({ added: [], removed: [], changed: [] });
  });
});

describe("placeTrigger", () => {
  const registry = loadExampleRegistry();
  const topology = loadExampleTopology();
  const fn = (channel: string, named: string[]): TriggerFunction => ({
    file: "f.ts",
    definition: {
      kind: "amqp-mesh/channel-handler",
      channel,
      name: "f",
      handler: async () => ({ batchItemFailures: [] }),
    },
    named,
  });

  it("a message channel's function runs in the last environment, as the consumer allowed to publish where it does", () => {
    // sales/orders is consumed by logistics and billing; only billing may publish invoices.
    expect(placeTrigger(fn("sales/orders", ["billing/invoices"]), registry, topology)).toEqual({
      environment: "azure-we",
      cloud: "azure",
      principal: "billing-worker",
    });
  });

  it("a broker channel's function runs in the broker's environment", () => {
    expect(placeTrigger(fn("billing/invoices", []), registry, topology)).toMatchObject({
      environment: "aws-eu",
      cloud: "aws",
      principal: "billing-worker",
    });
  });

  it("a channel the registry does not have is a reason, not a placement", () => {
    expect(placeTrigger(fn("sales/nowhere", []), registry, topology)).toMatch(
      /not in the registry/,
    );
  });
});

describe("projectFunctions", () => {
  it("a copy of the example outside the repository: names the file, the import that leads nowhere and the one to write", async () => {
    const dir = await mkdtemp(join(tmpdir(), "copied-project-"));
    try {
      await mkdir(join(dir, "functions"));
      const file = join(dir, "functions", "order-invoicing.ts");
      await copyFile("examples/functions/order-invoicing.ts", file);
      const { found, failed } = await projectFunctions(dir);
      expect(found).toEqual([]);
      expect(failed).toHaveLength(1);
      expect(failed[0]?.reason).toContain(
        `${file} imports '../../shared/trigger/index.ts', which is not there`,
      );
      expect(failed[0]?.reason).toMatch(
        /import the platform's helpers from the repository instead \('(\.\.\/)+.*shared\/trigger\/index\.ts' from this file\)/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
