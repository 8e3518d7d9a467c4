/**
 * Drift of one router: its entities of the types the registry decides (address, linkRoute,
 * autoLink, vhost) against the config the registry wants for it — config-sync's own
 * comparison (readActualState + planSync), read only. Listeners, connectors and TLS
 * profiles come from the deployment, not the registry (a local run rewrites their paths),
 * so they are not judged here.
 */
import type { ManagementClient } from "../management/index.ts";
import type { RouterEntityType } from "../router-config/index.ts";
import {
  type DesiredConfigs,
  planSync,
  readActualState,
  readRouterIdentity,
} from "../sync/index.ts";
import type { DriftEntry, RouterDrift } from "./view.ts";

/** The types whose entities come from the registry. */
export const REGISTRY_TYPES: ReadonlySet<RouterEntityType> = new Set([
  "address",
  "linkRoute",
  "autoLink",
  "vhost",
]);

function describe(attributes: Record<string, unknown>): string {
  const keys = ["prefix", "pattern", "address", "distribution", "direction", "hostname"];
  return keys
    .filter((k) => attributes[k] !== undefined && attributes[k] !== null)
    .map((k) => `${k}=${String(attributes[k])}`)
    .join(", ");
}

/** What differs on the router from what the registry wants; read only. */
export async function readRouterDrift(
  management: ManagementClient,
  desired: DesiredConfigs,
  now: () => number = Date.now,
): Promise<RouterDrift> {
  const identity = await readRouterIdentity(management);
  const wanted = desired.forRouter(identity.routerId, management.flavour);
  if ("problem" in wanted) return { checkedAt: now(), entries: [], problem: wanted.problem };
  const actual = await readActualState(management, identity);
  const plan = planSync(wanted.config, actual);
  const entries: DriftEntry[] = [];
  for (const step of plan.steps) {
    if (!REGISTRY_TYPES.has(step.type)) continue;
    if (step.kind === "create")
      entries.push({
        type: step.type,
        name: step.name,
        kind: "missing",
        detail: describe(step.attributes),
      });
    else if (step.kind === "delete")
      entries.push({
        type: step.type,
        name: step.name,
        kind: "unwanted",
        detail: describe(step.previous),
      });
    else
      entries.push({
        type: step.type,
        name: step.name,
        kind: "changed",
        detail: `differs in ${step.changed.join(", ")}`,
      });
  }
  for (const other of plan.untouched) {
    if (!REGISTRY_TYPES.has(other.type)) continue;
    entries.push({
      type: other.type,
      name: other.name ?? other.identity ?? "?",
      kind: "unwanted",
      detail: `not made by amqp-mesh: ${other.summary}`,
    });
  }
  for (const blocked of plan.blocked)
    entries.push({
      type: blocked.type,
      name: blocked.name,
      kind: "missing",
      detail: blocked.reason,
    });
  return { checkedAt: now(), entries, problem: undefined };
}
