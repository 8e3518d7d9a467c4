import { describe, expect, it } from "vitest";
import {
  formatRouterPlans,
  generateRouterConfigs,
  hasChanges,
  planRouterChanges,
  type RouterConfig,
} from "../../../shared/router-config/index.ts";
import { registryOf, smallTopology } from "./builders.ts";

function configsFor(distribution: "balanced" | "closest", extra: { address: string }[] = []) {
  const registry = registryOf([
    {
      team: "t",
      principals: ["p"],
      channels: [
        { address: "t/a", description: "a", distribution, producers: ["t"], consumers: ["t"] },
        ...extra.map((e) => ({ ...e, description: "x" })),
      ],
    },
  ]);
  return generateRouterConfigs(registry, smallTopology()).configs;
}

describe("planRouterChanges", () => {
  it("plans nothing between equal configs", () => {
    const plans = planRouterChanges(configsFor("balanced"), configsFor("balanced"));
    expect(hasChanges(plans)).toBe(false);
    expect(plans.map((p) => p.routerId)).toEqual(["edge-a1", "int-a1", "int-a2"]);
  });

  it("deletes and re-creates a changed address (addresses have no UPDATE)", () => {
    const plans = planRouterChanges(configsFor("balanced"), configsFor("closest"));
    for (const plan of plans) {
      expect(plan.delete.map((e) => [e.type, e.attributes.distribution])).toEqual([
        ["address", "balanced"],
      ]);
      expect(plan.create.map((e) => [e.type, e.attributes.distribution])).toEqual([
        ["address", "closest"],
      ]);
    }
  });

  it("creates the address of a new channel and nothing else", () => {
    const plans = planRouterChanges(
      configsFor("balanced"),
      configsFor("balanced", [{ address: "t/b" }]),
    );
    const plan = plans.find((p) => p.routerId === "int-a1")!;
    expect(plan.delete).toEqual([]);
    expect(plan.create.map((e) => e.attributes.name)).toEqual(["amqp-mesh/address/t/b"]);
  });

  it("never touches entities it does not own", () => {
    const actual: RouterConfig[] = configsFor("balanced").map((c) => ({
      ...c,
      entities: [
        ...c.entities,
        {
          type: "address",
          attributes: { name: "operator/debug", prefix: "debug", distribution: "multicast" },
        },
        { type: "address", attributes: { prefix: "unnamed", distribution: "closest" } },
      ],
    }));
    const plans = planRouterChanges(actual, configsFor("balanced"));
    expect(hasChanges(plans)).toBe(false);
  });

  it("never counts attribute order as a change, also inside the vhost's groups map", () => {
    const reorder = (value: unknown): unknown =>
      typeof value === "object" && value !== null
        ? Object.fromEntries(
            Object.entries(value as Record<string, unknown>)
              .reverse()
              .map(([k, v]) => [k, reorder(v)]),
          )
        : value;
    const shuffled: RouterConfig[] = configsFor("balanced").map((c) => ({
      ...c,
      entities: c.entities.map((e) => ({
        ...e,
        attributes: reorder(e.attributes) as typeof e.attributes,
      })),
    }));
    const vhost = shuffled[0]!.entities.find((e) => e.type === "vhost")!;
    // The fixture would prove nothing if the groups had one key each.
    const group = Object.values(vhost.attributes.groups as Record<string, object>)[0]!;
    expect(Object.keys(group).length).toBeGreaterThan(1);
    expect(hasChanges(planRouterChanges(configsFor("balanced"), shuffled))).toBe(false);
  });

  it("orders creates by dependency and deletes in reverse", () => {
    const empty = configsFor("balanced").map((c) => ({ ...c, entities: [] }));
    const [plan] = planRouterChanges(empty, configsFor("balanced"));
    const types = plan!.create.map((e) => e.type);
    expect(types.indexOf("listener")).toBeLessThan(types.indexOf("address"));
    const [reverse] = planRouterChanges(configsFor("balanced"), empty);
    expect(reverse!.delete.map((e) => e.type)).toEqual([...types].reverse());
  });

  it("summarises per router for humans", () => {
    const text = formatRouterPlans(
      planRouterChanges(configsFor("balanced"), configsFor("closest")),
    );
    expect(text).toContain("int-a1: 1 to delete, 1 to create");
    expect(text).toContain("  - address amqp-mesh/address/t/a (prefix=t/a, distribution=balanced)");
    expect(text).toContain("  + address amqp-mesh/address/t/a (prefix=t/a, distribution=closest)");
    expect(formatRouterPlans(planRouterChanges([], []))).toBe("");
  });
});
