/**
 * Link routes (emulator/brokers/link-route.ts, RoutingCore.findLinkRoute): which attaches are
 * link-routed, where they go and what address the broker sees.
 *
 * As read in apache/qpid-dispatch 1.19: linkRoute prefixes/patterns match like address
 * prefixes (whole tokens); an attach is link-routed only where the ingress router's own
 * link-route table has the pattern, an edge router asking its interior
 * (src/router_core/modules/address_lookup_server); it goes to a router whose route has its
 * container connection; the external address is made there alone
 * (`qdr_forward_link_balanced_CT`, src/router_core/forwarder.c: strip delExternalPrefix,
 * then insert addExternalPrefix).
 */
import { describe, expect, it } from "vitest";
import { linkRouteMatches, mapExternal } from "../../../emulator/brokers/link-route.ts";
import { MeshGraph } from "../../../emulator/routing/paths.ts";
import { type LinkRouteLookup, RoutingCore } from "../../../emulator/routing/routing-core.ts";

describe("mapExternal", () => {
  it("strips delExternalPrefix, then adds addExternalPrefix", () => {
    const a = { delExternalPrefix: "billing/", addExternalPrefix: "/queue/billing-" };
    expect(mapExternal("billing/invoices", a)).toBe("/queue/billing-invoices");
    expect(mapExternal("billing/invoices/eu", a)).toBe("/queue/billing-invoices/eu");
  });

  it("strips nothing from an address no longer than the prefix, as qdrouterd 1.19 does", () => {
    // src/router_core/terminus.c qdr_terminus_strip_address_prefix: `orig_len > prefix_len`.
    const whole = { delExternalPrefix: "billing/invoices", addExternalPrefix: "/queue/x-" };
    expect(mapExternal("billing/invoices", whole)).toBe("/queue/x-billing/invoices");
    expect(mapExternal("billing/invoices/eu", whole)).toBe("/queue/x-/eu");
  });

  it("leaves what it does not apply to", () => {
    expect(mapExternal("other/x", { delExternalPrefix: "billing/" })).toBe("other/x");
    expect(mapExternal("x", {})).toBe("x");
    expect(mapExternal("x", { addExternalPrefix: "/queue/" })).toBe("/queue/x");
  });
});

describe("linkRouteMatches", () => {
  it("matches prefixes and patterns by whole tokens", () => {
    expect(linkRouteMatches({ prefix: "broker" }, "broker")).toBe(true);
    expect(linkRouteMatches({ prefix: "broker" }, "broker.q/1")).toBe(true);
    expect(linkRouteMatches({ prefix: "broker" }, "brokers")).toBe(false);
    expect(linkRouteMatches({ pattern: "billing/invoices" }, "billing/invoices")).toBe(true);
    expect(linkRouteMatches({ pattern: "billing/invoices" }, "billing/invoices/x")).toBe(false);
    expect(linkRouteMatches({ pattern: "billing/*" }, "billing.x")).toBe(true);
    expect(linkRouteMatches({}, "anything")).toBe(false);
  });
});

/** Interiors x—y—z (cost 1 each), edge e on x; link routes given per router. */
function mesh(routes: Record<string, { configured: boolean; active?: string }>): RoutingCore {
  const g = new MeshGraph();
  for (const id of ["x", "y", "z"]) g.addNode({ id, mode: "interior", running: true, uplinks: [] });
  g.addNode({ id: "e", mode: "edge", running: true, uplinks: ["x"] });
  g.addEdge("x", "y", 1);
  g.addEdge("y", "z", 1);
  const routing = new RoutingCore(g);
  for (const [id, r] of Object.entries(routes)) {
    const lookup: LinkRouteLookup<string> = {
      configured: () => r.configured,
      active: () => r.active,
    };
    routing.setLinkRoutes(id, lookup);
  }
  return routing;
}

describe("RoutingCore.findLinkRoute", () => {
  it("is message routing where the ingress router has no matching linkRoute", () => {
    const routing = mesh({ x: { configured: false }, z: { configured: true, active: "z-broker" } });
    expect(routing.findLinkRoute("x", "q", "out")).toBeUndefined();
  });

  it("goes to the router holding the connection, not the ingress router's own route", () => {
    const routing = mesh({
      x: { configured: true },
      y: { configured: true },
      z: { configured: true, active: "z-broker" },
    });
    expect(routing.findLinkRoute<string>("x", "q", "out")).toEqual({ handler: "z-broker" });
  });

  it("lets an edge router without link routes use its interior's", () => {
    const routing = mesh({ x: { configured: true }, z: { configured: true, active: "z-broker" } });
    expect(routing.findLinkRoute<string>("e", "q", "in")).toEqual({ handler: "z-broker" });
  });

  it("prefers the nearest router with the connection up", () => {
    const routing = mesh({
      x: { configured: true },
      y: { configured: true, active: "y-broker" },
      z: { configured: true, active: "z-broker" },
    });
    expect(routing.findLinkRoute<string>("z", "q", "out")).toEqual({ handler: "z-broker" });
    expect(routing.findLinkRoute<string>("x", "q", "out")).toEqual({ handler: "y-broker" });
  });

  it("is link-routed without a handler (no route) when no reachable router has the connection", () => {
    const routing = mesh({ x: { configured: true }, z: { configured: true, active: "z-broker" } });
    routing.graph.setLinkUp("x", "y", false);
    routing.topologyChanged();
    expect(routing.findLinkRoute("x", "q", "out")).toEqual({ handler: undefined });
  });
});
