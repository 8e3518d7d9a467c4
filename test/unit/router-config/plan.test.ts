import { describe, expect, it } from "vitest";
import {
  formatRouterPlans,
  generateRouterConfigs,
  hasChanges,
  planRouterChanges,
  type RouterConfig,
  type RouterEntity,
} from "../../../shared/router-config/index.ts";
import { registryOf, smallTopology } from "./builders.ts";

function configsFor(
  distribution: "balanced" | "closest",
  extra: { address: string; producers?: string[] }[] = [],
  options: { maxMessageSize?: number; flavour?: "qpid-dispatch" | "skupper-router" } = {},
) {
  const registry = registryOf([
    {
      team: "t",
      principals: ["p"],
      channels: [
        {
          address: "t/a",
          description: "a",
          distribution,
          producers: ["t"],
          consumers: ["t"],
          ...(options.maxMessageSize ? { maxMessageSize: options.maxMessageSize } : {}),
        },
        ...extra.map((e) => ({ ...e, description: "x" })),
      ],
    },
  ]);
  const flavour = options.flavour ? { flavour: options.flavour } : {};
  return generateRouterConfigs(registry, smallTopology(), flavour).configs;
}

/** The same configs with one entity's attributes edited. */
function edited(
  configs: RouterConfig[],
  pick: (e: RouterEntity) => boolean,
  edit: (attributes: RouterEntity["attributes"]) => void,
): RouterConfig[] {
  return configs.map((c) => ({
    ...c,
    entities: c.entities.map((e) => {
      if (!pick(e)) return e;
      const attributes = structuredClone(e.attributes);
      edit(attributes);
      return { ...e, attributes };
    }),
  }));
}

const withTls = (configs: RouterConfig[]) =>
  configs.map((c) => ({
    ...c,
    entities: [
      ...c.entities,
      {
        type: "sslProfile" as const,
        attributes: {
          name: "amqp-mesh/tls/mtls",
          caCertFile: "/ca.pem",
          certFile: "/r.pem",
          privateKeyFile: "/r-key.pem",
          uidFormat: "n",
        },
      },
    ],
  }));

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

  it("updates a changed vhost in place (both flavours have vhost UPDATE) instead of deleting it", () => {
    for (const flavour of ["qpid-dispatch", "skupper-router"] as const) {
      const before = configsFor("balanced", [], { flavour });
      const after = configsFor("balanced", [{ address: "t/b", producers: ["p"] }], {
        flavour,
      });
      const plan = planRouterChanges(before, after).find((p) => p.routerId === "int-a1")!;
      expect(plan.delete, flavour).toEqual([]);
      expect(plan.create.map((e) => e.attributes.name)).toEqual(["amqp-mesh/address/t/b"]);
      expect(plan.update.map((u) => [u.type, u.name, u.changed, u.live])).toEqual([
        ["vhost", "amqp-mesh/vhost/$default", ["groups"], true],
      ]);
    }
  });

  it("deletes and re-creates a vhost when an attribute goes (UPDATE only adds and changes)", () => {
    const before = edited(
      configsFor("balanced"),
      (e) => e.type === "vhost",
      (a) => (a.maxConnections = 100),
    );
    const [plan] = planRouterChanges(before, configsFor("balanced"));
    expect(plan!.update).toEqual([]);
    expect(plan!.delete.map((e) => e.type)).toEqual(["vhost"]);
    expect(plan!.create.map((e) => e.type)).toEqual(["vhost"]);
  });

  it("shows a policy maxMessageSize change as a change only a restart makes", () => {
    const plans = planRouterChanges(
      configsFor("balanced", [], { maxMessageSize: 1000 }),
      configsFor("balanced", [], { maxMessageSize: 2000 }),
    );
    const plan = plans.find((p) => p.routerId === "int-a1")!;
    const policy = plan.update.find((u) => u.type === "policy")!;
    expect(policy).toMatchObject({
      name: undefined,
      changed: ["maxMessageSize"],
      live: false,
      previous: expect.objectContaining({ maxMessageSize: 1000 }),
      next: expect.objectContaining({ maxMessageSize: 2000 }),
    });
    // The group limit changes with it, live.
    expect(plan.update.find((u) => u.type === "vhost")?.live).toBe(true);
    expect(hasChanges(plans)).toBe(true);
    const text = formatRouterPlans(plans);
    expect(text).toContain("int-a1: 1 to update, 1 only by restart");
    expect(text).toContain(
      "  ! policy: maxMessageSize 1000 → 2000 (no UPDATE for policy: restart the router with the new config)",
    );
    expect(text).toContain(
      "  ~ vhost amqp-mesh/vhost/$default: groups (UPDATE, for connections opened after it)",
    );
  });

  it("shows a changed router singleton as a restart too", () => {
    const after = edited(
      configsFor("balanced"),
      (e) => e.type === "router",
      (a) => (a.workerThreads = 8),
    );
    const [plan] = planRouterChanges(configsFor("balanced"), after);
    expect(plan!.update).toEqual([
      expect.objectContaining({ type: "router", changed: ["workerThreads"], live: false }),
    ]);
    expect([...plan!.create, ...plan!.delete]).toEqual([]);
  });

  it("updates an sslProfile in place on skupper-router, deletes and creates it on qdrouterd 1.19", () => {
    const ca = (a: RouterEntity["attributes"]) => (a.caCertFile = "/new-ca.pem");
    const isProfile = (e: RouterEntity) => e.type === "sslProfile";
    const sk = withTls(configsFor("balanced", [], { flavour: "skupper-router" }));
    const [skPlan] = planRouterChanges(sk, edited(sk, isProfile, ca));
    expect(skPlan!.update.map((u) => [u.type, u.changed, u.live])).toEqual([
      ["sslProfile", ["caCertFile"], true],
    ]);
    const qd = withTls(configsFor("balanced"));
    const [qdPlan] = planRouterChanges(qd, edited(qd, isProfile, ca));
    expect(qdPlan!.update).toEqual([]);
    expect(qdPlan!.delete.map((e) => e.type)).toEqual(["sslProfile"]);
    expect(qdPlan!.create.map((e) => e.type)).toEqual(["sslProfile"]);
    // uidFormat is CREATE-only on skupper-router as well.
    const [uid] = planRouterChanges(
      sk,
      edited(sk, isProfile, (a) => (a.uidFormat = "o")),
    );
    expect(uid!.update).toEqual([]);
    expect(uid!.create.map((e) => e.type)).toEqual(["sslProfile"]);
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
