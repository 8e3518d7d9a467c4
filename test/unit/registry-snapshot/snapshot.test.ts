import { describe, expect, it } from "vitest";
import {
  DeployedRegistry,
  parseRegistrySnapshot,
  RegistrySnapshotError,
  snapshotRegistry,
} from "../../../shared/registry-snapshot/index.ts";
import { exampleRegistry } from "../../integration/ingress/harness.ts";

describe("registry snapshot", () => {
  it("keeps each channel's limits, schema (inline or from its file) and producers", async () => {
    const snapshot = snapshotRegistry(await exampleRegistry());
    const orders = snapshot.channels.find((c) => c.address === "sales/orders");
    expect(orders).toMatchObject({ owner: "sales", maxMessageSize: 65536, producers: ["sales"] });
    expect(orders?.schema).toMatchObject({ required: ["orderId", "customerId", "lines"] });
    const tracking = snapshot.channels.find((c) => c.address === "logistics/tracking");
    expect(tracking?.schema).toMatchObject({ required: ["parcelId"] });
    expect(snapshot.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it("survives JSON and names what is wrong in a damaged file", async () => {
    const snapshot = snapshotRegistry(await exampleRegistry());
    expect(parseRegistrySnapshot(JSON.parse(JSON.stringify(snapshot)))).toEqual(snapshot);
    const damaged = { ...snapshot, channels: [{ ...snapshot.channels[0], maxMessageSize: "big" }] };
    expect(() => parseRegistrySnapshot(damaged, "dist/registry.json")).toThrow(
      RegistrySnapshotError,
    );
    expect(() => parseRegistrySnapshot(damaged, "dist/registry.json")).toThrow(
      /dist\/registry.json: .*channels\.0\.maxMessageSize/,
    );
    expect(() => parseRegistrySnapshot({ format: 2 })).toThrow(/format/);
  });

  it("finds channels by either separator and expands teams to their principals", async () => {
    const registry = new DeployedRegistry(snapshotRegistry(await exampleRegistry()));
    const orders = registry.channel("sales.orders");
    expect(orders?.address).toBe("sales/orders");
    expect(registry.channel("sales/orders/eu")).toBeUndefined();
    // producers: [sales] → the sales team's principals, nobody else.
    expect(registry.mayProduce("sales-api", orders!)).toBe(true);
    expect(registry.mayProduce("sales-ingress", orders!)).toBe(true);
    expect(registry.mayProduce("billing-worker", orders!)).toBe(false);
    // billing/invoices: producers [billing, sales].
    const invoices = registry.channel("billing/invoices")!;
    expect(
      ["billing-worker", "sales-api", "logistics-tracker"].map((p) =>
        registry.mayProduce(p, invoices),
      ),
    ).toEqual([true, true, false]);
    expect(registry.isPrincipal("logistics-tracker")).toBe(true);
    expect(registry.isPrincipal("logistics")).toBe(false);
  });
});
