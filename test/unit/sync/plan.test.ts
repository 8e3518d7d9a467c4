/**
 * The planner on the example's configs, against router tables as management shows them
 * (router-model.ts: defaults filled in, ports as text, identities): what a user checks in
 * a plan — the operations, their order, what is left alone.
 */
import { describe, expect, it } from "vitest";
import { generateRouterConfigs, type RouterConfig } from "../../../shared/router-config/index.ts";
import {
  formatSyncPlan,
  operationCount,
  planSync,
  type SyncStep,
} from "../../../shared/sync/index.ts";
import type { RouterFlavour } from "../../../shared/topology/index.ts";
import { loadExampleRegistry, loadExampleTopology } from "../router-config/example-project.ts";
import { RouterModel } from "./router-model.ts";

function exampleConfig(
  routerId: string,
  flavour: RouterFlavour = "qpid-dispatch",
  edit?: (registry: ReturnType<typeof loadExampleRegistry>) => void,
): RouterConfig {
  const registry = loadExampleRegistry();
  edit?.(registry);
  const { configs } = generateRouterConfigs(registry, loadExampleTopology(), {
    flavour,
    managementPrincipals: ["config-sync"],
  });
  return configs.find((c) => c.routerId === routerId)!;
}

const kinds = (steps: SyncStep[]) => steps.map((s) => `${s.kind} ${s.type} ${s.name}`);

describe("planSync", () => {
  it("a router that carries its config exactly needs nothing, defaults and all", () => {
    for (const flavour of ["qpid-dispatch", "skupper-router"] as const) {
      const config = exampleConfig("aws-eu-interior-1", flavour);
      const plan = planSync(config, new RouterModel(config).actual());
      expect(plan.steps, flavour).toEqual([]);
      expect(plan.restartOnly, flavour).toEqual([]);
      expect(plan.untouched).toEqual([]);
    }
  });

  it("a router that lost its runtime entities gets exactly those back", () => {
    const config = exampleConfig("aws-eu-interior-1");
    const bare = { ...config, entities: config.entities.filter((e) => e.type !== "address") };
    const plan = planSync(config, new RouterModel(bare).actual());
    const addresses = config.entities.filter((e) => e.type === "address").length;
    expect(plan.steps.every((s) => s.kind === "create" && s.type === "address")).toBe(true);
    expect(operationCount(plan)).toBe(addresses);
  });

  it("a new channel: its address first, then the vhost UPDATE that lets its producers in", () => {
    const before = exampleConfig("aws-eu-edge-1");
    const after = exampleConfig("aws-eu-edge-1", "qpid-dispatch", (registry) => {
      const orders = registry.channels.find((c) => c.address === "sales/orders")!;
      registry.channels.push({
        ...orders,
        address: "sales/returns",
        payloadSchema: undefined,
        schema: undefined,
      } as never);
    });
    const plan = planSync(after, new RouterModel(before).actual());
    expect(kinds(plan.steps)).toEqual([
      "create address amqp-mesh/address/sales/returns",
      "update vhost amqp-mesh/vhost/$default",
    ]);
    const update = plan.steps[1]!;
    expect(update.kind === "update" && Object.keys(update.attributes)).toEqual(["groups"]);
  });

  it("a changed distribution is DELETE then CREATE of that address, nothing else", () => {
    const before = exampleConfig("aws-eu-interior-1");
    const after = exampleConfig("aws-eu-interior-1", "qpid-dispatch", (registry) => {
      registry.channels.find((c) => c.address === "sales/events")!.distribution = "closest";
    });
    const plan = planSync(after, new RouterModel(before).actual());
    expect(kinds(plan.steps)).toEqual(["replace address amqp-mesh/address/sales/events"]);
    expect(operationCount(plan)).toBe(2);
    expect(formatSyncPlan(plan)).toContain(
      "± address amqp-mesh/address/sales/events: distribution multicast → closest",
    );
  });

  it("a removed channel: the vhost UPDATE takes the rights away before the address goes", () => {
    const before = exampleConfig("aws-eu-interior-1");
    const after = exampleConfig("aws-eu-interior-1", "qpid-dispatch", (registry) => {
      registry.channels = registry.channels.filter((c) => c.address !== "logistics/tracking");
    });
    const plan = planSync(after, new RouterModel(before).actual());
    expect(kinds(plan.steps)).toEqual([
      "update vhost amqp-mesh/vhost/$default",
      "delete address amqp-mesh/address/logistics/tracking",
    ]);
  });

  it("sslProfile: UPDATE on skupper-router, DELETE + CREATE on qdrouterd (no UPDATE: 501)", () => {
    for (const [flavour, kind] of [
      ["skupper-router", "update"],
      ["qpid-dispatch", "replace"],
    ] as const) {
      const config = exampleConfig("aws-eu-interior-1", flavour);
      const model = new RouterModel(config);
      model.update("amqp-mesh/tls/mesh-mtls", { certFile: "/etc/old.pem" });
      const plan = planSync(config, model.actual());
      expect(kinds(plan.steps), flavour).toEqual([`${kind} sslProfile amqp-mesh/tls/mesh-mtls`]);
    }
  });

  it("a vhost attribute set on the router and gone from the config is DELETE + CREATE (UPDATE merges)", () => {
    const config = exampleConfig("aws-eu-interior-1");
    const model = new RouterModel(config);
    model.update("amqp-mesh/vhost/$default", { maxMessageSize: 1024 });
    expect(kinds(planSync(config, model.actual()).steps)).toEqual([
      "replace vhost amqp-mesh/vhost/$default",
    ]);
  });

  it("a link route whose connection went away is re-created without it", () => {
    const config = exampleConfig("aws-eu-interior-1");
    const model = new RouterModel(config);
    const route = config.entities.find((e) => e.type === "linkRoute")!;
    const name = String(route.attributes.name);
    const withoutConnection = {
      ...config,
      entities: config.entities.map((e) =>
        e === route
          ? {
              ...e,
              attributes: Object.fromEntries(
                Object.entries(e.attributes).filter(([k]) => k !== "connection"),
              ),
            }
          : e,
      ),
    };
    expect(kinds(planSync(withoutConnection, model.actual()).steps)).toEqual([
      `replace linkRoute ${name}`,
    ]);
  });

  it("entities amqp-mesh does not own are reported and never touched", () => {
    const config = exampleConfig("aws-eu-interior-1");
    const model = new RouterModel(config);
    model.load("address", { prefix: "ops/debug", distribution: "closest" });
    model.load("address", { name: "hand-made", prefix: "ops/hand", distribution: "balanced" });
    const plan = planSync(config, model.actual());
    expect(plan.steps).toEqual([]);
    expect(plan.untouched.map((u) => u.name)).toEqual(expect.arrayContaining(["hand-made"]));
    expect(plan.untouched).toHaveLength(2);
    expect(formatSyncPlan(plan)).toMatch(
      /= address hand-made \(prefix=ops\/hand, distribution=balanced\): not amqp-mesh's, left alone/,
    );
  });

  it("a hand-made address on a channel's prefix blocks its CREATE, saying which", () => {
    const config = exampleConfig("aws-eu-interior-1");
    const bare = {
      ...config,
      entities: config.entities.filter(
        (e) => e.attributes.name !== "amqp-mesh/address/sales/orders",
      ),
    };
    const model = new RouterModel(bare);
    model.load("address", {
      name: "orders-by-hand",
      prefix: "sales/orders",
      distribution: "closest",
    });
    const plan = planSync(config, model.actual());
    expect(plan.steps).toEqual([]);
    expect(plan.blocked).toEqual([
      expect.objectContaining({
        name: "amqp-mesh/address/sales/orders",
        reason: expect.stringContaining("'orders-by-hand'"),
      }),
    ]);
  });

  it("listeners and the router/policy singletons are reported for a restart, not changed", () => {
    const config = exampleConfig("aws-eu-interior-1");
    const model = new RouterModel(config);
    model.update("amqp-mesh/listener/clients", { port: "1" });
    const policy = model.actual().entities.get("policy")![0]!;
    model.update(policy.name!, { maxMessageSize: 5 });
    const plan = planSync(config, model.actual());
    expect(plan.steps).toEqual([]);
    expect(plan.restartOnly.map((r) => `${r.type} ${r.changed.join(",")}`).sort()).toEqual([
      "listener port",
      "policy maxMessageSize",
    ]);
    expect(formatSyncPlan(plan)).toContain("! policy: maxMessageSize 5 → 1048576");
  });

  it("orders creates, updates, replacements and deletions, dependencies first", () => {
    const before = exampleConfig("aws-eu-interior-1");
    const after = exampleConfig("aws-eu-interior-1", "qpid-dispatch", (registry) => {
      registry.channels = registry.channels.filter((c) => c.address !== "sales/orders.dead");
      registry.channels.find((c) => c.address === "sales/events")!.distribution = "balanced";
      const orders = registry.channels.find((c) => c.address === "sales/orders")!;
      registry.channels.push({ ...orders, address: "sales/refunds" } as never);
    });
    const model = new RouterModel(before);
    const plan = planSync(after, model.actual());
    expect(plan.steps.map((s) => s.kind)).toEqual(["create", "update", "replace", "delete"]);
    model.apply(plan);
    expect(planSync(after, model.actual()).steps).toEqual([]);
  });
});
