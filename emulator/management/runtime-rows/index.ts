/**
 * Rows of the types that show a router's state rather than its configuration — router,
 * routerMetrics and network (skupper-router), connection, router.link, router.address,
 * router.node, allocator — as attribute maps with every column either real router shows
 * (catalog.ts picks and orders them per flavour). Values come from the emulator's own state
 * where it has it; counters it does not keep are 0, as on a router that has carried nothing.
 * Shapes and constants are those recorded from qdrouterd 1.19.0 and skupper-router 3.5.1
 * (test/fixtures/real-router-captures).
 */
import type { Attributes } from "../../entities/schema.ts";
import { addressRows } from "./address.ts";
import { allocatorRows } from "./allocator.ts";
import { connectionRows } from "./connection.ts";
import { linkRows } from "./link.ts";
import { nodeRows } from "./node.ts";
import { policyRow } from "./policy.ts";
import { qpidRouterRow, routerMetricsRow, skupperRouterRow } from "./router.ts";
import type { RuntimeView } from "./view.ts";

export { ROUTER_VERSION, type RuntimeView } from "./view.ts";

/** Rows of a runtime type by its short name; [] for a type with no runtime rows. */
export function runtimeRows(view: RuntimeView, short: string): Attributes[] {
  switch (short) {
    case "router":
      return [view.flavour === "skupper-router" ? skupperRouterRow(view) : qpidRouterRow(view)];
    case "routerMetrics":
      return [routerMetricsRow(view)];
    case "network":
      return [];
    case "connection":
      return connectionRows(view);
    case "router.link":
      return linkRows(view);
    case "router.address":
      return addressRows(view);
    case "router.node":
      return nodeRows(view);
    case "allocator":
      return allocatorRows(view);
    case "policy":
      return [policyRow(view)];
    default:
      return [];
  }
}
