/** The `policy` singleton's row: its settings and counters. */
import type { Attributes } from "../../entities/schema.ts";
import type { RuntimeView } from "./view.ts";

/**
 * The `policy` singleton as both real routers answer it (seen with qdmanage/skmanage on
 * 1.19.0 and 3.5.1): the config's settings over the schema's defaults, the counters, and
 * the name `policy/None` whatever the config says.
 */
export function policyRow(view: RuntimeView): Attributes {
  const a = view.policyAttributes;
  const pick = <T>(key: string, fallback: T): T =>
    a[key] === undefined ? fallback : (a[key] as T);
  const c = view.policyCounters;
  return {
    maxConnections: pick("maxConnections", 65535),
    maxMessageSize: pick("maxMessageSize", 0),
    enableVhostPolicy: pick("enableVhostPolicy", false),
    enableVhostNamePatterns: pick("enableVhostNamePatterns", false),
    policyDir: pick("policyDir", ""),
    defaultVhost: pick("defaultVhost", "$default"),
    connectionsProcessed: c.connectionsProcessed,
    connectionsDenied: c.connectionsDenied,
    connectionsCurrent: view.connectionsCurrent,
    linksDenied: c.linksDenied,
    maxMessageSizeDenied: c.maxMessageSizeDenied,
    totalDenials: c.totalDenials,
    name: "policy/None",
    identity: "policy/None",
    type: view.agent.qualified("policy"),
  };
}
