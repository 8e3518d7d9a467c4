import { beforeAll, describe, expect, it } from "vitest";
import {
  ChannelPolicies,
  type ChannelRegistry,
  channelPolicyFor,
  loadRegistry,
} from "../../../shared/registry/index.ts";

let example: ChannelRegistry;
let policies: ChannelPolicies;
beforeAll(async () => {
  ({ registry: example } = await loadRegistry("examples"));
  policies = new ChannelPolicies(example);
});

describe("ChannelPolicies on the example registry", () => {
  it("resolves an address to its channel by the longest whole-segment prefix", () => {
    // Expected owners read off examples/registry/*.yaml.
    const owners: [string, string | undefined][] = [
      ["sales/orders", "sales/orders"],
      ["sales/orders/eu", "sales/orders"],
      ["sales.orders", "sales/orders"],
      ["/sales//orders/", "sales/orders"],
      ["sales/orders.dead", "sales/orders.dead"],
      ["sales/orders/dead/1", "sales/orders.dead"],
      ["billing/invoices.dead.x", "billing/invoices.dead"],
      ["salesforce/orders", undefined],
      ["sales", undefined],
      ["sales/ordersx", undefined],
      ["", undefined],
      ["//", undefined],
    ];
    for (const [address, owner] of owners)
      expect(policies.lookup(address)?.address, address).toBe(owner);
  });

  it("gives the limits the ingress enforces: size, delivery, schema, producers as principals", () => {
    const orders = policies.lookup("sales/orders/eu")!;
    expect(orders).toMatchObject({
      owner: "sales",
      version: 1,
      distribution: "balanced",
      delivery: "at-least-once",
      maxMessageSize: 65536,
      replyTo: false,
      producers: ["sales-api", "sales-ingress"],
      consumers: ["billing-worker", "logistics-tracker"],
    });
    expect(orders.payloadSchema).toMatchObject({ required: ["orderId", "customerId", "lines"] });
    const events = policies.lookup("sales/events")!;
    expect(events).toMatchObject({ maxMessageSize: 16384, delivery: "at-most-once" });
    expect(events.payloadSchema).toBeUndefined();
    // schemaFile is resolved by the loader: the schema itself, not the file name.
    expect(policies.lookup("billing/invoices")!.payloadSchema).toMatchObject({ type: "object" });
    expect(policies.lookup("logistics/tracking")!.replyTo).toBe(true);
  });

  it("answers who may produce and consume", () => {
    expect(policies.mayProduce("sales-api", "sales/orders/eu")).toBe(true);
    expect(policies.mayProduce("logistics-tracker", "sales/orders")).toBe(false);
    expect(policies.mayProduce("logistics-tracker", "sales/orders.dead")).toBe(true);
    expect(policies.mayConsume("logistics-tracker", "sales/orders")).toBe(true);
    expect(policies.mayConsume("logistics-tracker", "sales/orders.dead")).toBe(false);
    expect(policies.mayProduce("sales-api", "nowhere")).toBe(false);
  });

  it("has a one-off form", () => {
    expect(channelPolicyFor(example, "sales/events/x")?.address).toBe("sales/events");
  });
});
