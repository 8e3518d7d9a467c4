/** Helpers of the infra program tests: a plan's resources by type and name, router configs read back. */
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { InfraPlan, PlannedResource } from "../../../infra/plan.ts";
import { routerConfigSummary } from "../../../infra/plan-summary.ts";
import type { TopologyInput } from "../../../shared/topology/index.ts";
import { EXAMPLES_DIR } from "../router-config/example-project.ts";

export function ofType(plan: InfraPlan, type: string, environment?: string): PlannedResource[] {
  return plan.resources.filter(
    (r) => r.type === type && (environment === undefined || r.environment === environment),
  );
}

export function named(plan: InfraPlan, type: string, name: string): PlannedResource {
  const found = plan.resources.find((r) => r.type === type && r.name === name);
  if (found === undefined) throw new Error(`no ${type} named ${name} in the plan`);
  return found;
}

export interface RouterListener {
  role: string;
  port: number;
  requireSsl: boolean;
  authenticatePeer: boolean;
  saslMechanisms: string;
}
export interface RouterConnector {
  role: string;
  host: string;
  port: number;
  cost?: number;
  tls?: boolean;
}

/** Each router's config as its container gets it (AWS task definition, Azure container app). */
export function routerConfigs(
  plan: InfraPlan,
): Map<string, { listeners: RouterListener[]; connectors: RouterConnector[]; image: string }> {
  const configs = new Map();
  for (const task of ofType(plan, "aws:ecs/taskDefinition:TaskDefinition")) {
    const [container] = JSON.parse(task.inputs.containerDefinitions as string) as {
      image: string;
      environment: { name: string; value: string }[];
    }[];
    const text = container!.environment.find((e) => e.name === "MESH_ROUTER_CONFIG")?.value;
    const summary = routerConfigSummary(text);
    configs.set(summary.routerId, { ...summary, image: container!.image });
  }
  for (const app of ofType(plan, "azure-native:app:ContainerApp")) {
    const container = (
      app.inputs.template as {
        containers: { image: string; env: { name: string; value: string }[] }[];
      }
    ).containers[0]!;
    const text = container.env.find((e) => e.name === "MESH_ROUTER_CONFIG")?.value;
    const summary = routerConfigSummary(text);
    configs.set(summary.routerId, { ...summary, image: container.image });
  }
  return configs;
}

/** A copy of the example project with another topology (the registry stays the example's). */
export function projectWithTopology(topology: TopologyInput): string {
  const dir = mkdtempSync(join(tmpdir(), "amqp-mesh-infra-"));
  cpSync(join(EXAMPLES_DIR, "registry"), join(dir, "registry"), { recursive: true });
  writeFileSync(join(dir, "topology.yaml"), stringify(topology));
  return dir;
}
