/**
 * The seam that gives the local platform's ingress and triggers their registry: the views
 * they hold answer from the registry accepted last, swapped as a whole; the change names the
 * channels added, removed and changed. And where a channel function runs, as whom.
 */
import { describe, expect, it } from "vitest";
import { placeTrigger, type TriggerFunction } from "../../../cli/local/cloud-triggers.ts";
import { LocalRegistrySource } from "../../../cli/local/registry-source.ts";
import type { ChannelRegistry } from "../../../shared/registry/index.ts";
import { loadExampleRegistry, loadExampleTopology } from "../router-config/example-project.ts";

function withChannel(registry: ChannelRegistry, address: string): ChannelRegistry {
  const template = registry.channels.find((c) => c.address === "sales/events")!;
  return { ...registry, channels: [...registry.channels, { ...template, address }] };
}

describe("LocalRegistrySource", () => {
  it("the ingress's and the triggers' views follow each accepted registry, and say what changed", () => {
    const example = loadExampleRegistry();
    const source = new LocalRegistrySource(example);
    const { registry, catalog } = source;
    const first = source.digest;
    expect(registry.channel("sales/returns")).toBeUndefined();
    expect(catalog.channel("sales/returns")).toBeUndefined();

    const change = source.accept(withChannel(example, "sales/returns"));
    expect(change).toMatchObject({ previous: first, added: ["sales/returns"], removed: [] });
    expect(change.digest).not.toBe(first);
    // The very objects handed out before now answer from the new registry.
    expect(registry.channel("sales/returns")?.owner).toBe("sales");
    expect(registry.mayProduce("sales-api", registry.channel("sales/returns")!)).toBe(true);
    expect(catalog.channel("sales/returns")).toBeDefined();
    expect(registry.digest).toBe(change.digest);
    expect(catalog.digest).toBe(change.digest);

    const back = source.accept(example);
    expect(back).toMatchObject({ removed: ["sales/returns"], added: [], digest: first });
    expect(registry.channel("sales/returns")).toBeUndefined();
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
