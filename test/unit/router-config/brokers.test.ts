import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  externalPrefixes,
  generateRouterConfigs,
  type RouterConfig,
  type RouterEntityType,
} from "../../../shared/router-config/index.ts";
import { registryOf, smallTopology } from "./builders.ts";

const registry = registryOf([
  {
    team: "billing",
    principals: ["billing-worker"],
    channels: [
      {
        address: "billing/invoices",
        description: "invoices",
        routing: { kind: "broker", broker: "rabbit", queue: "q-invoices" },
        producers: ["billing"],
        consumers: ["billing"],
      },
      { address: "billing/invoices.dead", description: "dead", producers: ["billing"] },
    ],
  },
]);

function ofType(config: RouterConfig | undefined, type: RouterEntityType) {
  return (config?.entities ?? []).filter((e) => e.type === type).map((e) => e.attributes);
}

function byId(configs: RouterConfig[], id: string): RouterConfig | undefined {
  return configs.find((c) => c.routerId === id);
}

describe("broker channels on qpid-dispatch", () => {
  const { configs, diagnostics } = generateRouterConfigs(registry, smallTopology(), {
    flavour: "qpid-dispatch",
  });

  it("puts a route-container connector on every interior of the broker's environment", () => {
    for (const id of ["int-a1", "int-a2"])
      expect(ofType(byId(configs, id), "connector")).toContainEqual(
        expect.objectContaining({
          name: "amqp-mesh/broker/rabbit",
          role: "route-container",
          port: "5672",
        }),
      );
    expect(ofType(byId(configs, "edge-a1"), "connector").map((c) => c.role)).not.toContain(
      "route-container",
    );
  });

  it("link-routes exactly the channel address both ways, renamed to the queue as qdrouterd rewrites", () => {
    const routes = ofType(byId(configs, "int-a1"), "linkRoute");
    expect(routes).toEqual([
      {
        name: "amqp-mesh/linkRoute/billing/invoices/in",
        pattern: "billing/invoices",
        direction: "in",
        connection: "amqp-mesh/broker/rabbit",
        delExternalPrefix: "billing/",
        addExternalPrefix: "/queue/q-",
      },
      {
        name: "amqp-mesh/linkRoute/billing/invoices/out",
        pattern: "billing/invoices",
        direction: "out",
        connection: "amqp-mesh/broker/rabbit",
        delExternalPrefix: "billing/",
        addExternalPrefix: "/queue/q-",
      },
    ]);
    expect(ofType(byId(configs, "int-a1"), "autoLink")).toEqual([]);
    // qdrouterd 1.19's rewrite (src/router_core/terminus.c): strip delExternalPrefix only
    // from a longer address, then put addExternalPrefix in front.
    const rewrite = (address: string, del?: unknown, add?: unknown) => {
      const stripped =
        typeof del === "string" && address.length > del.length && address.startsWith(del)
          ? address.slice(del.length)
          : address;
      return `${typeof add === "string" ? add : ""}${stripped}`;
    };
    for (const route of routes)
      expect(rewrite("billing/invoices", route.delExternalPrefix, route.addExternalPrefix)).toBe(
        "/queue/q-invoices",
      );
  });

  it("refuses a queue no prefix rewrite reaches (it must end as the address does)", () => {
    const unreachable = registryOf([
      {
        team: "billing",
        principals: ["billing-worker"],
        channels: [
          {
            address: "billing/invoices",
            description: "invoices",
            routing: { kind: "broker", broker: "rabbit", queue: "invoices-q" },
            producers: ["billing"],
            consumers: ["billing"],
          },
        ],
      },
    ]);
    const result = generateRouterConfigs(unreachable, smallTopology(), {
      flavour: "qpid-dispatch",
    });
    expect(result.diagnostics).toMatchObject([
      {
        severity: "error",
        code: "router-config/queue-unreachable-by-prefix",
        path: ["channels", 0, "routing", "queue"],
      },
    ]);
    expect(ofType(byId(result.configs, "int-a1"), "linkRoute")).toEqual([]);
  });

  it("leaves link routes to the interiors; edges ask their interior", () => {
    expect(ofType(byId(configs, "edge-a1"), "linkRoute")).toEqual([]);
  });

  it("reports nothing for a flavour that has what the channel asks", () => {
    expect(diagnostics).toEqual([]);
  });
});

describe("broker channels on skupper-router", () => {
  const { configs, diagnostics } = generateRouterConfigs(registry, smallTopology(), {
    flavour: "skupper-router",
  });

  it("emits no linkRoute anywhere", () => {
    for (const config of configs) expect(ofType(config, "linkRoute")).toEqual([]);
  });

  // An out/in autoLink pair on one address loops on skupper-router 3.5.1 (no phases): the
  // queue's messages go straight back to it (test/conformance/broker.test.ts). The pair is
  // split over two addresses: the channel's (out, to the queue) and the queue's outlet (in).
  it("puts the queue between two addresses on the interiors holding the broker connector", () => {
    for (const id of ["int-a1", "int-a2"])
      expect(ofType(byId(configs, id), "autoLink")).toEqual([
        {
          name: "amqp-mesh/autoLink/billing/invoices/out",
          address: "billing/invoices",
          direction: "out",
          connection: "amqp-mesh/broker/rabbit",
          externalAddress: "/queue/q-invoices",
        },
        {
          name: "amqp-mesh/autoLink/billing/invoices/in",
          address: "_amqp-mesh/from-queue/billing/invoices",
          direction: "in",
          connection: "amqp-mesh/broker/rabbit",
          externalAddress: "/queue/q-invoices",
        },
      ]);
    // An autoLink needs its connection on the same router: edges have none.
    expect(ofType(byId(configs, "edge-a1"), "autoLink")).toEqual([]);
  });

  it("configures both addresses on every router of the channel, without attributes skupper-router lacks", () => {
    for (const config of configs) {
      const addresses = ofType(config, "address").filter((a) =>
        String(a.prefix).endsWith("billing/invoices"),
      );
      expect(addresses).toEqual([
        {
          name: "amqp-mesh/address/billing/invoices",
          prefix: "billing/invoices",
          distribution: "balanced",
        },
        {
          name: "amqp-mesh/address/_amqp-mesh/from-queue/billing/invoices",
          prefix: "_amqp-mesh/from-queue/billing/invoices",
          distribution: "balanced",
        },
      ]);
    }
  });

  it("lets producers send to the channel's address only and consumers receive from the outlet only", () => {
    const groups = ofType(byId(configs, "edge-a1"), "vhost").find((v) => v.hostname === "$default")
      ?.groups as Record<string, { sources?: string; targets?: string }>;
    const billing = groups["team-billing"];
    expect(billing?.targets).toBe(
      "billing/invoices, billing/invoices.dead, billing/invoices.dead/*",
    );
    // billing/invoices.dead lies below billing/invoices: no sub-address grant for either.
    expect(billing?.sources).toBe("_amqp-mesh/from-queue/billing/invoices");
  });

  it("reports nothing for a balanced broker channel", () => {
    expect(diagnostics).toEqual([]);
  });

  it("generates a multicast broker channel balanced, and says why", () => {
    const multicast = registryOf([
      {
        team: "billing",
        principals: ["billing-worker"],
        channels: [
          {
            address: "billing/events",
            description: "events",
            distribution: "multicast",
            routing: { kind: "broker", broker: "rabbit" },
            producers: ["billing"],
            consumers: ["billing"],
          },
        ],
      },
    ]);
    const result = generateRouterConfigs(multicast, smallTopology(), {
      flavour: "skupper-router",
    });
    const distributions = ofType(byId(result.configs, "int-a1"), "address").map(
      (a) => a.distribution,
    );
    expect(distributions).toEqual(["balanced", "balanced"]);
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({
      severity: "warning",
      code: "router-config/broker-multicast-as-queue",
      path: ["channels", 0, "distribution"],
    });
  });
});

describe("queue addresses per broker flavour", () => {
  it("reaches a RabbitMQ queue as /queue/<name> and leaves other brokers' names alone", () => {
    const topology = smallTopology();
    const rabbit = generateRouterConfigs(registry, topology, { flavour: "qpid-dispatch" });
    const artemisTopology = {
      ...topology,
      brokers: topology.brokers.map((b) => ({ ...b, flavour: "artemis" as const })),
    };
    const artemis = generateRouterConfigs(registry, artemisTopology, { flavour: "qpid-dispatch" });
    const externalOf = (configs: RouterConfig[]) =>
      ofType(byId(configs, "int-a1"), "linkRoute").map((r) => r.addExternalPrefix);
    expect(externalOf(rabbit.configs)).toEqual(["/queue/q-", "/queue/q-"]);
    expect(externalOf(artemis.configs)).toEqual(["q-", "q-"]);
  });
});

describe("externalPrefixes (fuzz)", () => {
  /** qdrouterd 1.19's rewrite, src/router_core/terminus.c (the oracle, not our code). */
  const rewrite = (address: string, del?: string, add?: string) =>
    `${add ?? ""}${del !== undefined && address.length > del.length && address.startsWith(del) ? address.slice(del.length) : address}`;

  it("finds prefixes qdrouterd turns the address into the external address with, whenever they end alike", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.string({ maxLength: 20 }),
        (address, external) => {
          const found = externalPrefixes(address, external);
          const endAlike =
            address.length > 0 && external.length > 0 && address.at(-1) === external.at(-1);
          expect(found !== undefined).toBe(endAlike);
          if (found !== undefined) expect(rewrite(address, found.del, found.add)).toBe(external);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
